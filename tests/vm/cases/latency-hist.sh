# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# The latency histograms hold every I/O of the workload in exactly one
# bucket, by p2pio's own counts: one copy P2P both ways (B's reads into A's
# CMB, written to A's own disk), one whose writes to the root-bus disk C are
# refused and bounced through host memory, verified through host memory.
# p2ptop (JSON, one histogram per pair, map type and op, and the client
# disks' host-memory I/O) and p2ptrace --hist (JSON and text) agree, the
# buckets add up to each count, and a pair's histogram to its I/O count.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
n=48
m=24
chunk=65536

# B's first chunks hold this pattern, so the verify below proves its copy
# (equal zeros prove nothing); written before the tools start, untimed
"$bin/p2pio" -t 1 -q 1 -n $m -c $chunk --pattern --verify --host "$B_DISK" "$C_DISK" >/dev/null ||
	fail "p2pio could not write the pattern"

trace_start hj -j --hist -e none
trace_start ht --hist -e none
"$bin/p2ptop" -j 0.5 >"$work/top.json" 2>"$work/top.err" &
top=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }

# one I/O at a time: no request merged with another, each one timed once
"$bin/p2pio" -j -t 1 -q 1 -n $n -c $chunk --sysfs "$A_BDF" "$B_DISK" "$A_DISK" \
	>"$work/w1.json" || fail "p2pio (P2P) failed"
"$bin/p2pio" -j -t 1 -q 1 -n $m -c $chunk --verify --sysfs "$A_BDF" "$B_DISK" "$C_DISK" \
	>"$work/w2.json" || fail "p2pio (refused) failed"
sleep 1.5
kill -INT $top
wait $top || { cat "$work/top.err"; fail "p2ptop exited with $?"; }
trace_stop hj
trace_stop ht

expect_eq "p2pio's own count, P2P copy" \
	"$(jq -M -c '[.chunks, .p2p_ios, .refused, .fallbacks]' "$work/w1.json")" "[$n,$((2 * n)),0,0]"
expect_eq "p2pio's own count, refused copy" \
	"$(jq -M -c '[.chunks, .p2p_ios, .refused, .fallbacks, .verified]' "$work/w2.json")" \
	"[$m,$m,$m,$m,$m]"

last() { tail -n 1 "$work/top.json" | jq -M -c "$1"; }
expect_eq "p2ptop lost nothing" "$(last '[.complete, .lost.nested, .lost.ios, .lost.hists]')" "[true,0,0,0]"
expect_eq "p2ptrace dropped nothing" "$(jq -M -c 'select(.summary) | .summary.drops' "$work/hj.out")" 0

# every histogram: its buckets add up to its count, and p50 <= p99
jq -M -s -e '[.[] | select(.hist) | .hist | ([.buckets[].count] | add) == .count and .p50_us <= .p99_us] | all' \
	"$work/hj.out" >/dev/null || fail "p2ptrace: a histogram's buckets do not add up: $(cat "$work/hj.out")"
last '[.pairs[].latency[] | ([.buckets[].count] | add) == .count and .p50_us <= .p99_us] | all' | grep -qx true ||
	fail "p2ptop: a histogram's buckets do not add up: $(tail -n 1 "$work/top.json")"
ok "every histogram's buckets add up to its count"

# [count] of the histogram PROVIDER CLIENT MAP_TYPE OP (provider null: host memory)
traced() { jq -M -s -c "[.[] | select(.hist) | .hist | select(.provider == $1 and .client == \"$2\" and .map_type == \"$3\" and .op == \"$4\") | .count]" "$work/hj.out"; }
topped() { last "[.pairs[] | select(.client == \"$2\" and ($1 == null or .provider == $1)) | .latency[] | select(.map_type == \"$3\" and .op == \"$4\") | .count] | unique"; }
check() { # WHAT PROVIDER CLIENT MAP_TYPE OP WANT
	expect_eq "p2ptrace --hist: $1" "$(traced "$2" "$3" "$4" "$5")" "[$6]"
	expect_eq "p2ptop: $1" "$(topped "$2" "$3" "$4" "$5")" "[$6]"
}
check "B's P2P reads into A's CMB" "\"$A_BDF\"" "$B_BDF" BUS_ADDR read $((n + m))
check "P2P writes to A's disk" "\"$A_BDF\"" "$A_BDF" BUS_ADDR write $n
check "the bounced writes to C, through host memory" null "$C_BDF" HOST write $m
check "the verify reads of C, through host memory" null "$C_BDF" HOST read $m
check "the verify reads of B, through host memory" null "$B_BDF" HOST read $m
expect_eq "p2ptrace --hist: histograms (no other I/O timed)" \
	"$(jq -M -s '[.[] | select(.hist)] | length' "$work/hj.out")" 5
expect_eq "the refused pair has no P2P latency, its disk's bounce has" \
	"$(last ".pairs[] | select(.client == \"$C_BDF\") | [.ios, .fallbacks, .p50_us == null, .host_p50_us > 0]")" \
	"[0,$m,true,true]"
# a pair's I/O counter and its histograms are kept apart: they agree
expect_eq "the A -> B pair: ios and its histograms' counts" \
	"$(last ".pairs[] | select(.client == \"$B_BDF\") | [.ios, ([.latency[] | select(.map_type != \"HOST\") | .count] | add)]")" \
	"[$((n + m)),$((n + m))]"

# the text form: a biolatency header per histogram, and its count
grep -q "^$A -> $B, BUS_ADDR, read: $((n + m)) I/Os, p50 " "$work/ht.out" ||
	{ cat "$work/ht.out"; fail "p2ptrace --hist text lacks the A -> B reads"; }
grep -q "^host memory -> $C, write (not P2P: the disk's other I/O, bounces included): $m I/Os" "$work/ht.out" ||
	{ cat "$work/ht.out"; fail "p2ptrace --hist text lacks C's bounced writes"; }
expect_eq "p2ptrace --hist text: bucket lines add up" \
	"$(awk -F ' : ' '/ ->.* : [0-9]/ { split($2, a, " "); s += a[1] } END { print s }' "$work/ht.out")" \
	$((n + m + n + 3 * m))
