# lab: --cpu qemu64
# pci_p2pdma_map_type() is a real function: a BTF FUNC and a kallsyms symbol,
# and the p2pdma trace events are listed by perf.
. "$(dirname "$0")/../lib.sh"
grep -qw pci_p2pdma_map_type /proc/kallsyms || fail "pci_p2pdma_map_type is not in /proc/kallsyms"
ok "pci_p2pdma_map_type in /proc/kallsyms"
btf=$(mktemp)
bpftool btf dump file /sys/kernel/btf/vmlinux >"$btf"
grep -q "FUNC 'pci_p2pdma_map_type'" "$btf" || fail "pci_p2pdma_map_type has no BTF FUNC"
ok "pci_p2pdma_map_type in /sys/kernel/btf/vmlinux"
perf list 'p2pdma:*' >"$btf.perf" 2>/dev/null
events=$(grep -o 'p2pdma:[a-z0-9_]*' "$btf.perf" | sort | tr '\n' ' ')
expect_eq "perf list p2pdma:*" "$events" "p2pdma:p2pdma_alloc p2pdma:p2pdma_free p2pdma:p2pdma_map_refused p2pdma:p2pdma_map_type p2pdma:p2pdma_revoke p2pdma:p2pdma_vma_close p2pdma:p2pdma_vma_fault "
