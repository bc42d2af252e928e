# lab: --cpu qemu64
# Every recipe of docs/perf.md, run against p2pio's own report of the copy.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
count() { awk -F, -v e="p2pdma:$1" '$3 == e { print $1 }' "$work/stat"; }

# 1. count what a workload does
perf stat -a -x, -o "$work/stat" -e 'p2pdma:*' -- \
	sh -c "'$bin/p2pio' -j -q 1 -n 64 '$B_DISK' '$C_DISK' >'$work/io.json'"
cat "$work/stat" "$work/io.json"
io() { jq -M ".$1" "$work/io.json"; }
p2p=$(io p2p_ios); refused=$(io refused)
expect_eq "p2pio copied" "$(io chunks) $(io fallbacks)" "64 64"
expect_eq "p2pdma_alloc" "$(count p2pdma_alloc)" 1
expect_eq "p2pdma_vma_fault (16 pages of buffer)" "$(count p2pdma_vma_fault)" 16
expect_eq "p2pdma_map_type = p2p_ios + 2 x refused" "$(count p2pdma_map_type)" $((p2p + 2 * refused))
expect_eq "p2pdma_map_refused = 2 x refused" "$(count p2pdma_map_refused)" $((2 * refused))
expect_eq "p2pdma_vma_close" "$(count p2pdma_vma_close)" 1
expect_eq "p2pdma_free" "$(count p2pdma_free)" 16

# 2. every map-type decision
perf record -q -a -e p2pdma:p2pdma_map_type -o "$work/p2p.data" -- \
	"$bin/p2pio" -j -q 1 -n 16 "$B_DISK" "$C_DISK" >"$work/io.json"
perf script -i "$work/p2p.data" >"$work/script.txt" 2>/dev/null
head -n 4 "$work/script.txt"
expect_eq "perf script BUS_ADDR decisions" \
	"$(grep -c "client=$B_BDF type=BUS_ADDR" "$work/script.txt")" "$(io p2p_ios)"
expect_eq "perf script NOT_SUPPORTED decisions" \
	"$(grep -c "client=$C_BDF type=NOT_SUPPORTED" "$work/script.txt")" $((2 * $(io refused)))

# 3. filters in the kernel
perf stat -a -x, -o "$work/stat" -e p2pdma:p2pdma_map_type --filter 'type == 1' -- \
	"$bin/p2pio" -j -q 1 -n 16 "$B_DISK" "$C_DISK" >"$work/io.json"
expect_eq "--filter 'type == 1'" "$(count p2pdma_map_type)" $((2 * $(io refused)))
perf stat -a -x, -o "$work/stat" -e p2pdma:p2pdma_map_refused --filter "client == \"$C_BDF\"" -- \
	"$bin/p2pio" -j -q 1 -n 16 "$B_DISK" "$C_DISK" >"$work/io.json"
expect_eq "--filter 'client == $C_BDF'" "$(count p2pdma_map_refused)" $((2 * $(io refused)))
perf stat -a -x, -o "$work/stat" -e p2pdma:p2pdma_map_refused --filter 'client == "0000:99:00.0"' -- \
	"$bin/p2pio" -j -q 1 -n 16 "$B_DISK" "$C_DISK" >"$work/io.json"
expect_eq "--filter on another client" "$(count p2pdma_map_refused)" 0

# 4. perf and p2ptrace together
"$bin/p2ptrace" -j -e fallback >"$work/fb.json" 2>"$work/fb.err" &
tracer=$!
for _ in $(seq 300); do grep -q '^Tracing' "$work/fb.err" && break; sleep 0.1; done
perf stat -a -x, -o "$work/stat" -e p2pdma:p2pdma_map_refused -- \
	"$bin/p2pio" -j -q 1 -n 16 "$B_DISK" "$C_DISK" >"$work/io.json"
sleep 0.5
kill -INT $tracer
wait $tracer
expect_eq "p2ptrace fallbacks = p2pio fallbacks" \
	"$(jq -M -c 'select(.event == "fallback")' "$work/fb.json" | wc -l)" "$(io fallbacks)"
expect_eq "perf refusals = 2 x p2ptrace fallbacks" "$(count p2pdma_map_refused)" $((2 * $(io fallbacks)))
