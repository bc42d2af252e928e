# lab: --cpu qemu64
# perf stat -e 'p2pdma:*' around a known workload counts exactly the events
# it implies, and perf record captures them with their fields.
. "$(dirname "$0")/../lib.sh"
lab_devices
size=65536
pages=$((size / 4096))
max_kb=$(cat "/sys/block/${B_DISK#/dev/}/queue/max_sectors_kb")
[ $((size / 1024)) -le "$max_kb" ] || fail "$size bytes would be split (max_sectors_kb $max_kb)"

# counts NAME... from perf stat -x, output: "count,,event,..."
count() { awk -F, -v e="p2pdma:$1" '$3 == e { print $1 }' "$stat"; }
stat=$(mktemp)

# Peer under the switch: one mapping of $pages pages, each faulted once,
# one O_DIRECT read and one write (one map-type decision each), and every
# page returned to the pool one by one (p2pcheck waits for them).
perf stat -a -x, -o "$stat" -e 'p2pdma:*' -- \
	"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size $size --expect ok
cat "$stat"
expect_eq "peer: p2pdma_alloc" "$(count p2pdma_alloc)" 1
expect_eq "peer: p2pdma_vma_fault" "$(count p2pdma_vma_fault)" $pages
expect_eq "peer: p2pdma_map_type" "$(count p2pdma_map_type)" 2
expect_eq "peer: p2pdma_map_refused" "$(count p2pdma_map_refused)" 0
expect_eq "peer: p2pdma_vma_close" "$(count p2pdma_vma_close)" 1
expect_eq "peer: p2pdma_free" "$(count p2pdma_free)" $pages
expect_eq "peer: p2pdma_revoke" "$(count p2pdma_revoke)" 0

# Root-bus NVMe: the same, but both I/Os are refused, and each refusal is
# seen twice: blk-mq first offers the plugged request to nvme_queue_rqs(),
# whose failed prep sends it back to be issued alone through nvme_queue_rq(),
# which maps it again (6.12 behaviour, seen in perf record -g).
perf stat -a -x, -o "$stat" -e 'p2pdma:*' -- \
	"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size $size --expect refused
cat "$stat"
expect_eq "root bus: p2pdma_alloc" "$(count p2pdma_alloc)" 1
expect_eq "root bus: p2pdma_vma_fault" "$(count p2pdma_vma_fault)" $pages
expect_eq "root bus: p2pdma_map_type" "$(count p2pdma_map_type)" 4
expect_eq "root bus: p2pdma_map_refused" "$(count p2pdma_map_refused)" 4
expect_eq "root bus: p2pdma_vma_close" "$(count p2pdma_vma_close)" 1
expect_eq "root bus: p2pdma_free" "$(count p2pdma_free)" $pages

# perf record sees the decisions with their fields.
data=$(mktemp)
perf record -q -a -o "$data" -e p2pdma:p2pdma_map_type -e p2pdma:p2pdma_map_refused -- \
	"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size $size --expect refused >/dev/null
perf script -i "$data" >"$data.txt" 2>/dev/null
cat "$data.txt"
grep -q "p2pdma_map_type: provider=$A_BDF client=$C_BDF type=NOT_SUPPORTED cached=1" "$data.txt" ||
	fail "perf script shows no cached NOT_SUPPORTED decision for $C"
grep -q "p2pdma_map_refused: provider=$A_BDF client=$C_BDF len=$size comm=p2pcheck" "$data.txt" ||
	fail "perf script shows no refusal for $C"
ok "perf record/script show the map type and the refusal"

# Fault results print as names (TRACE_DEFINE_ENUM of VM_FAULT_*), not hex.
perf record -q -a -o "$data" -e p2pdma:p2pdma_vma_fault -- \
	"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size $size --expect ok >/dev/null
perf script -i "$data" >"$data.txt" 2>/dev/null
head -n 2 "$data.txt"
expect_eq "faults reported as ret=NOPAGE" "$(grep -c 'p2pdma_vma_fault: .* ret=NOPAGE comm=p2pcheck' "$data.txt")" $pages
expect_eq "allocating faults" "$(grep -c ' allocated=1 ' "$data.txt")" 1

# A refused request whose buffer is two CMB mappings (two DMA segments):
# len is the request's, not its first segment's. Each refusal is seen twice,
# as above.
perf record -q -a -o "$data" -e p2pdma:p2pdma_map_refused -- \
	"$bin/p2pcheck" iovcopy --cdev "/dev/$A" --disk "$C_DISK" --size $size --expect refused
perf script -i "$data" >"$data.txt" 2>/dev/null
cat "$data.txt"
expect_eq "refusals of the two-segment requests with len=$size" \
	"$(grep -c "p2pdma_map_refused: provider=$A_BDF client=$C_BDF len=$size comm=p2pcheck" "$data.txt")" 4
expect_eq "refusals in all" "$(grep -c 'p2pdma_map_refused:' "$data.txt")" 4
