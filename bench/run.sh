# Guest side of "make bench": every figure is a ratio or a count measured in
# this one run, because absolute times under TCG are noisy.
. "$(dirname "$0")/../tests/vm/lib.sh"
lab_devices
work=$(mktemp -d)
rounds=${P2PSCOPE_BENCH_ROUNDS:-5}
secs=2

echo "p2pscope benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), guest kernel $(uname -r), $(nproc) vCPUs (QEMU TCG)"
[ -f "$top/build/bench-host.txt" ] && cat "$top/build/bench-host.txt"

# start_tool NAME CMD...: run a tool in the background until it is attached
start_tool() {
	local name=$1
	shift
	"$@" >"$work/$name.out" 2>"$work/$name.err" &
	echo $! >"$work/$name.pid"
	for _ in $(seq 300); do
		grep -q '^Tracing' "$work/$name.err" && return
		[ -s "$work/$name.out" ] && [ "$name" = top ] && return
		sleep 0.1
	done
	fail "$name did not start"
}
stop_tool() { kill -INT "$(cat "$work/$1.pid")"; wait "$(cat "$work/$1.pid")" || true; }
mbps() { "$bin/p2pio" -j -D $secs -q 4 "$@" | jq -M .mb_per_s; }
ratio() { echo "scale=4; $1 / $2" | bc; }
mean() { echo "$@" | tr ' ' '\n' | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }

echo
echo "1. Tracing overhead: p2pio $A_DISK -> $B_DISK (P2P), ${secs}s runs, $rounds rounds, order rotated"
none=(); trace=(); topv=()
run_none() { none+=("$(mbps "$A_DISK" "$B_DISK")"); }
run_trace() {
	start_tool trace "$bin/p2ptrace" -j
	trace+=("$(mbps "$A_DISK" "$B_DISK")")
	stop_tool trace
}
run_top() {
	start_tool top "$bin/p2ptop" -j 1
	topv+=("$(mbps "$A_DISK" "$B_DISK")")
	stop_tool top
}
# the order rotates each round, so no configuration always goes first
orders=("run_none run_trace run_top" "run_trace run_top run_none" "run_top run_none run_trace")
for r in $(seq "$rounds"); do
	for f in ${orders[$(((r - 1) % 3))]}; do $f; done
done
n=$(mean "${none[@]}"); t=$(mean "${trace[@]}"); p=$(mean "${topv[@]}")
printf '   untraced %s MB/s (%s)\n   p2ptrace %s MB/s (%s)\n   p2ptop   %s MB/s (%s)\n' \
	"$n" "${none[*]}" "$t" "${trace[*]}" "$p" "${topv[*]}"
printf '   ratio with p2ptrace %.3f, with p2ptop %.3f (target >= 0.98)\n' "$(ratio "$t" "$n")" "$(ratio "$p" "$n")"
printf '   untraced runs alone spread %s..%s MB/s: under TCG the noise is larger than 2%%\n' \
	"$(printf '%s\n' "${none[@]}" | sort -n | head -n1)" "$(printf '%s\n' "${none[@]}" | sort -n | tail -n1)"

echo
echo "2. BPF cost per event (kernel.bpf_stats_enabled): our programs against empty ones on the same hooks"
sysctl -q -w kernel.bpf_stats_enabled=1
start_tool trace "$bin/p2ptrace" -j
"$bin/baseline" >"$work/base.out" 2>&1 &
base=$!
for _ in $(seq 100); do grep -q attached "$work/base.out" && break; sleep 0.1; done
"$bin/p2pio" -j -D $secs "$A_DISK" "$B_DISK" >/dev/null
"$bin/p2pio" -j -D $secs "$B_DISK" "$C_DISK" >/dev/null
bpftool prog show -j >"$work/progs.json"
kill -INT $base; wait $base || true
stop_tool trace
sysctl -q -w kernel.bpf_stats_enabled=0
avg() { jq -M -r --arg n "$1" '[.[] | select(.name == $n and .run_cnt > 0)] | first | if . == null then "-" else "\(.run_time_ns / .run_cnt | floor) \(.run_cnt)" end' "$work/progs.json"; }
printf '   %-16s %8s %9s %8s %7s\n' hook "ns/event" events "empty ns" ratio
for pair in tp_map_type:empty_map_type tp_alloc:empty_alloc tp_free:empty_free \
	tp_fault:empty_fault tp_rq_issue:empty_rq_issue tp_rq_complete:empty_rq_complete; do
	ours=$(avg "${pair%%:*}"); empty=$(avg "${pair##*:}")
	[ "$ours" != - ] && [ "$empty" != - ] || { printf '   %-16s no events\n' "${pair%%:*}"; continue; }
	printf '   %-16s %8s %9s %8s %7.2f\n' "${pair%%:*}" "${ours% *}" "${ours#* }" "${empty% *}" \
		"$(ratio "${ours% *}" "${empty% *}")"
done
echo "   (target <= 1.5x; run_time_ns counts the program only, not the trampoline;"
echo "    under TCG every helper call and map access is emulated)"

echo
echo "3. p2ptrace event throughput: 4 KiB chunks, queue depth 32, 2 threads, $B_DISK -> $C_DISK (refused: 3 events per chunk)"
start_tool trace "$bin/p2ptrace" -j
"$bin/p2pio" -j -t 2 -q 32 -c 4096 -D 3 "$B_DISK" "$C_DISK" >"$work/io.json"
sleep 0.5
stop_tool trace
events=$(jq -M -s '[.[] | select(.summary) | .summary.events | to_entries[].value] | add' "$work/trace.out")
drops=$(jq -M -s '[.[] | select(.summary) | .summary.drops] | add' "$work/trace.out")
rate=$(echo "$events / $(jq -M .seconds "$work/io.json")" | bc)
echo "   $events events in $(jq -M .seconds "$work/io.json") s: $rate events/s, $drops dropped"
[ "$drops" = 0 ] && echo "   no drops at the highest rate this lab can drive"

echo
echo "4. P2P against a host bounce: $A_DISK -> $B_DISK, ${secs}s each"
"$bin/p2pio" -j -D $secs -q 4 "$A_DISK" "$B_DISK" >"$work/p2p.json"
"$bin/p2pio" -j -D $secs -q 4 --host "$A_DISK" "$B_DISK" >"$work/host.json"
for k in p2p host; do
	printf '   %-4s %8.2f MB/s %8.3f CPU s/GiB\n' $k "$(jq -M .mb_per_s "$work/$k.json")" \
		"$(jq -M .cpu_s_per_gib "$work/$k.json")"
done
printf '   P2P/host: throughput %.3f, CPU per GiB %.3f\n' \
	"$(ratio "$(jq -M .mb_per_s "$work/p2p.json")" "$(jq -M .mb_per_s "$work/host.json")")" \
	"$(ratio "$(jq -M .cpu_s_per_gib "$work/p2p.json")" "$(jq -M .cpu_s_per_gib "$work/host.json")")"
echo "   (the lab's CMB is emulated MMIO under TCG: this ratio says nothing about real hardware)"

echo
echo "5. Memory: peak RSS of the tools during a copy, and our BPF maps"
start_tool trace "$bin/p2ptrace" -j
start_tool top "$bin/p2ptop" -j 1
"$bin/p2pio" -j -D $secs "$A_DISK" "$B_DISK" >/dev/null
for t in trace top; do
	printf '   p2p%-5s peak RSS %s\n' $t "$(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$(cat "$work/$t.pid")/status")"
done
bpftool map show -j >"$work/maps.json"
stop_tool top
stop_tool trace
jq -M -r '[.[] | select(.name | test("^(events|providers|pairs|pids|known_provider|decisions|inflight|kargs|live_maps)$"))]
	| (.[] | "   \(.name) \(.type) max \(.max_entries) \(.bytes_memlock) bytes"),
	  "   both tools loaded, each with its own maps: \(map(.bytes_memlock) | add) bytes in all; every map has max_entries"' "$work/maps.json"
echo "   (target: each tool <= 32 MiB peak RSS)"
