# lab: --cpu qemu64 --kernel debug
# Every allocation on the way to a mapping fails in turn (fault injection,
# /proc/thread-self/fail-nth), for the sysfs p2pmem/allocate file and for the
# CMB char device: each round ends cleanly and gives every byte back, and the
# p2pdma_alloc and p2pdma_free events add up to the same bytes (a failed
# vm_insert_page() on the sysfs path used to free memory without an event).
. "$(dirname "$0")/../lib.sh"
lab_devices
dbg=/sys/kernel/debug
for f in fail_page_alloc failslab; do
	[ -d $dbg/$f ] || fail "no $dbg/$f: the kernel lacks fault injection"
	echo N >$dbg/$f/ignore-gfp-wait
	echo 0 >$dbg/$f/verbose
done
echo 0 >$dbg/fail_page_alloc/min-order
echo N >$dbg/fail_page_alloc/ignore-gfp-highmem

t=/sys/kernel/tracing
echo 0 >$t/tracing_on
echo >$t/trace
echo 1 >$t/events/p2pdma/p2pdma_alloc/enable
echo 1 >$t/events/p2pdma/p2pdma_free/enable
echo 1 >$t/tracing_on
"$bin/p2pcheck" failnth --sysfs "$A_BDF" --size 65536
"$bin/p2pcheck" failnth --cdev "/dev/$A" --size 65536
echo 0 >$t/tracing_on
echo 0 >$t/events/p2pdma/enable
sum() { grep -o "$1: provider=$A_BDF bytes=[0-9]*" $t/trace | awk -F= '{ s += $NF } END { print s + 0 }'; }
lost=$(cat $t/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
expect_eq "trace events lost" "$lost" 0
alloc=$(sum p2pdma_alloc)
[ "$alloc" -gt 0 ] || fail "no p2pdma_alloc events"
expect_eq "bytes freed (p2pdma_free) = bytes allocated (p2pdma_alloc)" "$(sum p2pdma_free)" "$alloc"
