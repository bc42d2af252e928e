# lab: --cpu qemu64
# The functions the BPF tools attach fentry/fexit to, pci_p2pdma_vma_fault()
# and pci_p2pdma_vma_close(), are real functions: a BTF FUNC and a kallsyms
# symbol each; struct pci_p2pdma_map has the fields they read; and perf lists
# the p2pdma trace events, which report every map-type decision (so
# pci_p2pdma_map_type() stays static, as upstream has it).
. "$(dirname "$0")/../lib.sh"
btf=$(mktemp)
bpftool btf dump file /sys/kernel/btf/vmlinux >"$btf"
for f in pci_p2pdma_vma_fault pci_p2pdma_vma_close; do
	grep -qw "$f" /proc/kallsyms || fail "$f is not in /proc/kallsyms"
	grep -q "FUNC '$f'" "$btf" || fail "$f has no BTF FUNC"
	ok "$f in /proc/kallsyms and /sys/kernel/btf/vmlinux"
done
bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$btf.c"
fields=$(awk '/^struct pci_p2pdma_map \{/,/^\};/' "$btf.c")
for f in 'struct kref ref;' 'struct pci_dev \*pdev;' 'size_t len;' 'void \*kaddr;'; do
	grep -q "$f" <<<"$fields" || fail "struct pci_p2pdma_map has no '$f'"
done
ok "struct pci_p2pdma_map has ref, pdev, len and kaddr"
perf list 'p2pdma:*' >"$btf.perf" 2>/dev/null
events=$(grep -o 'p2pdma:[a-z0-9_]*' "$btf.perf" | sort | tr '\n' ' ')
expect_eq "perf list p2pdma:*" "$events" "p2pdma:p2pdma_alloc p2pdma:p2pdma_distance p2pdma:p2pdma_free p2pdma:p2pdma_map_refused p2pdma:p2pdma_map_type p2pdma:p2pdma_revoke p2pdma:p2pdma_vma_close p2pdma:p2pdma_vma_fault "
