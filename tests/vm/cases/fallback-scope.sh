# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# A fallback is a request the kernel refused to map, nothing else: one
# process has a read into P2P memory refused (root-bus NVMe), then a read of
# host memory that the drive fails (passthrough past the namespace's end).
# p2ptrace and p2ptop count exactly one fallback of the P2P size, and the
# failed non-P2P read is neither a fallback nor P2P I/O.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
errname=$(refused_errno)
nosup=$(decisions_per_refusal)

trace_start json -j
"$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }

"$bin/p2pcheck" afterrefusal --sysfs "$A_BDF" --disk "$C_DISK" --size $size
sleep 2.5
trace_stop json
kill -INT $top
wait $top || fail "p2ptop -j exited with $?"

jq -e . "$work/json.out" >/dev/null || fail "p2ptrace -j output is not JSON lines"
expect_eq "fallbacks" "$(jcount json '.event == "fallback"')" 1
expect_eq "the fallback is the refused read" \
	"$(jcount json ".event == \"fallback\" and .disk == \"${C_DISK#/dev/}\" and .client == \"$C_BDF\" and .op == \"read\" and .bytes == $size and .result == \"$errname\"")" 1
expect_eq "P2P I/O events" "$(jcount json '.event == "io"')" 0
expect_eq "refusals decided" "$(jcount json '.event == "map" and .map_type == "NOT_SUPPORTED"')" "$nosup"
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0

last() { tail -n 1 "$work/top.json" | jq -M -c "$1"; }
expect_eq "p2ptop provider totals: fallbacks, their bytes, I/O, P2P bytes" \
	"$(last ".providers[] | select(.bdf == \"$A_BDF\") | .totals | [.fallbacks, .fallback_bytes, .ios, .read_bytes, .write_bytes]")" \
	"[1,$size,0,0,0]"
expect_eq "p2ptop refused pair" \
	"$(last ".pairs[] | select(.client == \"$C_BDF\") | [.fallbacks, .ios, .bytes]")" "[1,0,0]"
expect_eq "p2ptop nothing lost" "$(last '[.complete, .lost.ios, .lost.pairs]')" "[true,0,0]"
