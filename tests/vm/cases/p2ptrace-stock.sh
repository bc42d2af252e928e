# lab: --cpu qemu64 --kernel stock
# The same p2ptrace binary on a 6.12 kernel without our series: the sysfs
# p2pmem/allocate path. The hooks that exist there (fexit on the map-segment
# function, the P2PDMA alloc and free functions and the sysfs mmap;
# dma_map_sg_err; block I/O) report the workload; the ones that need our
# series are reported as unavailable.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
pages=$((size / 4096))
[ ! -e /sys/kernel/tracing/events/p2pdma ] || fail "this is not a stock kernel: it has p2pdma events"

trace_start json -j -v
cat "$work/json.err"
for h in vma-fault vma-close revoke; do
	grep -q "^p2ptrace: $h *unavailable on this kernel" "$work/json.err" ||
		fail "-v does not report $h as unavailable"
done
ok "-v reports vma-fault, vma-close and revoke as unavailable"
grep -q "^p2ptrace: map-type *fexit/pci_p2pdma_map_segment" "$work/json.err" ||
	fail "-v does not show the fexit map-type hook"
# lib/ (genalloc) is built without ftrace, which kprobe events refuse too
grep -q "^p2ptrace: alloc *fexit/pci_alloc_p2pmem" "$work/json.err" ||
	fail "-v does not show the P2PDMA alloc hook"
grep -q "^p2ptrace: free *fentry/p2pdma_page_free" "$work/json.err" ||
	fail "-v does not show the P2PDMA page free hook"
grep -q "^p2ptrace: refusal *tp_btf/dma_map_sg_err" "$work/json.err" ||
	fail "-v does not show the dma_map_sg_err hook"
ok "-v shows the stock kernel's hooks"

"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size $size --expect ok
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size $size --expect refused
sleep 0.3
trace_stop json

A='.provider == "'$A_BDF'"'
expect_eq "alloc events" "$(jcount json ".event == \"alloc\" and $A and .bytes == $size")" 2
expect_eq "free events" "$(jcount json ".event == \"free\" and $A and .bytes == 4096")" $((2 * pages))
expect_eq "sysfs mmap events" "$(jcount json ".event == \"fault\" and $A and .bytes == $size and .allocated")" 2
expect_eq "close events" "$(jcount json '.event == "close"')" 0
expect_eq "map BUS_ADDR to $B" \
	"$(jcount json ".event == \"map\" and .client == \"$B_BDF\" and .map_type == \"BUS_ADDR\"")" 2
expect_eq "map NOT_SUPPORTED to $C" \
	"$(jcount json ".event == \"map\" and .client == \"$C_BDF\" and .map_type == \"NOT_SUPPORTED\"")" 4
expect_eq "P2P I/O to $B" \
	"$(jcount json ".event == \"io\" and .map_type == \"BUS_ADDR\" and .bytes == $size and .result == \"ok\"")" 2
expect_eq "fallbacks to $C" \
	"$(jcount json ".event == \"fallback\" and .map_type == \"NOT_SUPPORTED\" and .result == \"EREMOTEIO\"")" 2
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
