# Guest side of "make bench": every figure is a ratio or a count measured in
# this one run, because absolute times under TCG are noisy. The last line is
# "RESULTS_JSON {...}", which make bench keeps as bench/results.json.
. "$(dirname "$0")/../tests/vm/lib.sh"
lab_devices
work=$(mktemp -d)
rounds=${P2PSCOPE_BENCH_ROUNDS:-3}
secs=${P2PSCOPE_BENCH_SECONDS:-3}
declare -A R=()		# the figures for results.json

echo "p2pscope benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), guest kernel $(uname -r), $(nproc) vCPUs (QEMU TCG)"
[ -f "$top/build/bench-host.txt" ] && cat "$top/build/bench-host.txt"

# start_tool NAME CMD...: run a tool in the background until it is attached
# (it says so, p2ptop prints a report, or biosnoop's programs are loaded:
# its header is block-buffered)
start_tool() {
	local name=$1
	shift
	"$@" >"$work/$name.out" 2>"$work/$name.err" &
	echo $! >"$work/$name.pid"
	for _ in $(seq 600); do
		grep -q '^Tracing\|^attached' "$work/$name.err" "$work/$name.out" 2>/dev/null && return
		[ -s "$work/$name.out" ] && [ "${name#top}" != "$name" ] && return
		if [ "$name" = bio ] && bpftool prog show 2>/dev/null | grep -q "name block_rq_issue "; then
			sleep 1
			return
		fi
		kill -0 "$(cat "$work/$name.pid")" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/$name.err" >&2
	return 1
}
stop_tool() { kill -INT "$(cat "$work/$1.pid")"; wait "$(cat "$work/$1.pid")" || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else print "null" }'; }
mean() { echo "$@" | tr ' ' '\n' | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }
copy() { "$bin/p2pio" -j -q 4 "$@"; }

# Run-time statistics of every BPF program, scoped to this run: the baseline
# process holds the fd from bpf_enable_stats(), and the floor programs
# (empty, and record-only) on the hooks we use.
start_tool base "$bin/baseline" || fail "the baseline programs do not load"
snap() { bpftool prog show -j >"$work/$1.json"; }
# cost FROM TO NAME [IDS]: "ns_total runs" of the programs called NAME in
# between (only those with the ids in the JSON array IDS, if given)
cost() {
	jq -n -r --slurpfile a "$work/$1.json" --slurpfile b "$work/$2.json" --arg n "$3" --argjson ids "${4:-null}" '
		def s($x): [$x[] | select(.name == $n and ($ids == null or (.id as $i | $ids | index($i))))
			    | {id, t: (.run_time_ns // 0), c: (.run_cnt // 0)}];
		(s($a[0])) as $A
		| [s($b[0])[] | . as $x | ([$A[] | select(.id == $x.id)] | first // {t: 0, c: 0}) as $y
		   | {t: ($x.t - $y.t), c: ($x.c - $y.c)}]
		| "\(map(.t) | add // 0) \(map(.c) | add // 0)"'
}
# hook_cost FROM TO NAME [IDS]: "ns_total runs" of our program NAME and its
# twin on the same hook (which may do the work: the block-issue pair both
# do), per run of NAME: what one event on the hook costs us. The kernel may
# truncate the twin's name to 15 characters.
hook_cost() {
	jq -n -r --slurpfile a "$work/$1.json" --slurpfile b "$work/$2.json" --arg n "$3" --argjson ids "${4:-null}" '
		($n + "_twin") as $tw
		| def s($x): [$x[] | select((.name == $n or .name == $tw or .name == $tw[:15])
					   and ($ids == null or (.id as $i | $ids | index($i))))
			    | {id, p: (.name == $n), t: (.run_time_ns // 0), c: (.run_cnt // 0)}];
		(s($a[0])) as $A
		| [s($b[0])[] | . as $x | ([$A[] | select(.id == $x.id)] | first // {t: 0, c: 0}) as $y
		   | {t: ($x.t - $y.t), c: (if $x.p then $x.c - $y.c else 0 end)}]
		| "\(map(.t) | add // 0) \(map(.c) | add // 0)"'
}
# target VALUE LIMIT: whether a ratio is within its target
target() { awk -v v="$1" -v l="$2" 'BEGIN { if (v == "null" || v == "") print "(not measured)"; else if (v + 0 <= l + 0) print "MET"; else print "NOT MET" }'; }
per_event() { awk -v t="${1% *}" -v c="${1#* }" 'BEGIN { if (c > 0) printf "%.0f", t / c; else print "" }'; }

# the workload every cost is measured on: P2P and refused copies, and
# mappings made, touched and freed
workload() {
	copy -D "$secs" "$A_DISK" "$B_DISK" >"$work/w1.json"
	copy -D "$secs" "$B_DISK" "$C_DISK" >"$work/w2.json"
	for _ in $(seq 10); do
		"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 65536 --expect ok >/dev/null
	done
}

echo
echo "1. BPF cost per event, p2ptrace's programs (each with its twin on the hook) against floors"
echo "   on the same hooks (one workload: P2P and refused copies, 10 mappings made and freed)"
start_tool trace "$bin/p2ptrace" -j || fail "p2ptrace does not start"
snap t0
workload
snap t1
stop_tool trace
printf '   %-15s %8s %8s %8s %8s %9s %9s\n' hook events "ns/ev" "record" "empty" "x record" "x empty"
ours_t=0 ours_c=0 rec_t=0 rec_c=0 worst=0
for h in map_type:map alloc:alloc free:free fault:fault rq_issue:rq_issue rq_complete:rq_done; do
	o=$(hook_cost t0 t1 "tp_${h%%:*}"); r=$(cost t0 t1 "rec_${h##*:}"); e=$(cost t0 t1 "empty_${h##*:}")
	on=$(per_event "$o"); rn=$(per_event "$r"); en=$(per_event "$e")
	[ -n "$on" ] || { printf '   %-15s no events\n' "tp_${h%%:*}"; continue; }
	xr=$(ratio "$on" "$rn"); xe=$(ratio "$on" "$en")
	printf '   %-15s %8s %8s %8s %8s %9s %9s\n' "tp_${h%%:*}" "${o#* }" "$on" "$rn" "$en" "$xr" "$xe"
	R[ns_${h%%:*}_ours]=$on R[ns_${h%%:*}_record]=$rn R[ns_${h%%:*}_empty]=$en
	ours_t=$((ours_t + ${o% *})) ours_c=$((ours_c + ${o#* })) rec_t=$((rec_t + ${r% *})) rec_c=$((rec_c + ${r#* }))
	worst=$(awk -v a="$worst" -v b="$xr" 'BEGIN { print (b != "null" && b > a) ? b : a }')
done
R[ns_per_event_ours]=$(per_event "$ours_t $ours_c")
R[ns_per_event_record_baseline]=$(per_event "$rec_t $rec_c")
R[ratio_vs_record_baseline]=$(ratio "${R[ns_per_event_ours]}" "${R[ns_per_event_record_baseline]}")
R[worst_ratio_vs_record_baseline]=$worst
echo "   all event programs: ${R[ns_per_event_ours]} ns/event, record-only floor ${R[ns_per_event_record_baseline]}:" \
	"${R[ratio_vs_record_baseline]}x (worst hook ${worst}x; target <= 2x per hook)"

echo
echo "2. p2ptop's aggregation against the empty and one-counter floors, same workload; and"
echo "   its histograms' cost: p2ptop and p2ptop without them (P2PSCOPE_NO_HIST=1) attached"
echo "   together, so both run on the same events under the same load (TCG's noise), in both orders"
# ids_named S REGEX [NOT]: ids of the programs in snapshot S whose name
# matches REGEX (and that snapshot NOT does not have)
ids_named() {
	local old=null
	[ -z "${3:-}" ] || old=$(jq -M -c 'map(.id)' "$work/$3.json")
	jq -M -c --arg re "$2" --argjson old "$old" '[.[] | select(.name | test($re)) | .id
		| select(. as $i | $old == null or ($old | index($i) | not))]' "$work/$1.json"
}
ours='^(tp|fexit|fentry|kp|krp)_'
# proc_cpu PID: its CPU seconds so far (user + system)
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' "/proc/$1/stat"; }
# The program attached first on a hook runs first and pays for the cold
# caches (up to 1.7x on hooks the histograms do not touch), so the two run
# in both orders and each one's totals add up both.
declare -A T=() C=()
cpu_hist=0 cpu_nohist=0
for order in "hist nohist" "nohist hist"; do
	set -- $order
	for v in "$@"; do
		if [ "$v" = hist ]; then start_tool "top_$v" "$bin/p2ptop" -j 1; else
			P2PSCOPE_NO_HIST=1 start_tool "top_$v" "$bin/p2ptop" -j 1; fi || fail "p2ptop ($v) does not start"
		snap "h_$v"
	done
	ids_first=$(ids_named "h_$1" "$ours")
	ids_second=$(ids_named "h_$2" "$ours" "h_$1")
	declare -A I=([$1]=$ids_first [$2]=$ids_second)
	u0=$(proc_cpu "$(cat "$work/top_hist.pid")") v0=$(proc_cpu "$(cat "$work/top_nohist.pid")")
	snap p0
	workload
	snap p1
	u1=$(proc_cpu "$(cat "$work/top_hist.pid")") v1=$(proc_cpu "$(cat "$work/top_nohist.pid")")
	stop_tool "top_$2"
	stop_tool "top_$1"
	cpu_hist=$(awk -v s="$cpu_hist" -v a="$u0" -v b="$u1" 'BEGIN { printf "%.3f", s + b - a }')
	cpu_nohist=$(awk -v s="$cpu_nohist" -v a="$v0" -v b="$v1" 'BEGIN { printf "%.3f", s + b - a }')
	for h in map_type:map alloc:alloc free:free fault:fault rq_issue:rq_issue rq_complete:rq_done; do
		for v in hist nohist; do
			o=$(hook_cost p0 p1 "tp_${h%%:*}" "${I[$v]}")
			T[$v.${h%%:*}]=$((${T[$v.${h%%:*}]:-0} + ${o% *})) C[$v.${h%%:*}]=$((${C[$v.${h%%:*}]:-0} + ${o#* }))
		done
		e=$(cost p0 p1 "empty_${h##*:}"); k=$(cost p0 p1 "cnt_${h##*:}")
		T[empty.${h%%:*}]=$((${T[empty.${h%%:*}]:-0} + ${e% *})) C[empty.${h%%:*}]=$((${C[empty.${h%%:*}]:-0} + ${e#* }))
		T[cnt.${h%%:*}]=$((${T[cnt.${h%%:*}]:-0} + ${k% *})) C[cnt.${h%%:*}]=$((${C[cnt.${h%%:*}]:-0} + ${k#* }))
	done
done
R[cpu_s_top_process_hist]=$cpu_hist R[cpu_s_top_process_nohist]=$cpu_nohist
echo "   p2ptop's own CPU over the workloads: $cpu_hist s with histograms, $cpu_nohist s without"
top_t=0 top_c=0 noh_t=0 noh_c=0 emp_t=0 emp_c=0 cnt_t=0 cnt_c=0
for h in map_type alloc free fault rq_issue rq_complete; do
	[ "${C[hist.$h]}" -gt 0 ] || continue
	o="${T[hist.$h]} ${C[hist.$h]}" x="${T[nohist.$h]} ${C[nohist.$h]}"
	e="${T[empty.$h]} ${C[empty.$h]}" k="${T[cnt.$h]} ${C[cnt.$h]}"
	printf '   %-15s %8s ns/event (%s without histograms: %sx), empty %s, one counter %s: %sx, %sx\n' "tp_$h" \
		"$(per_event "$o")" "$(per_event "$x")" "$(ratio "$(per_event "$o")" "$(per_event "$x")")" \
		"$(per_event "$e")" "$(per_event "$k")" \
		"$(ratio "$(per_event "$o")" "$(per_event "$e")")" "$(ratio "$(per_event "$o")" "$(per_event "$k")")"
	top_t=$((top_t + ${o% *})) top_c=$((top_c + ${o#* })) noh_t=$((noh_t + ${x% *})) noh_c=$((noh_c + ${x#* }))
	emp_t=$((emp_t + ${e% *})) emp_c=$((emp_c + ${e#* })) cnt_t=$((cnt_t + ${k% *})) cnt_c=$((cnt_c + ${k#* }))
	R[ns_${h}_top]=$(per_event "$o") R[ns_${h}_top_nohist]=$(per_event "$x")
done
R[ns_per_event_top]=$(per_event "$top_t $top_c")
R[ns_per_event_top_nohist]=$(per_event "$noh_t $noh_c")
R[ns_per_event_empty]=$(per_event "$emp_t $emp_c")
R[ns_per_event_counter_all_hooks]=$(per_event "$cnt_t $cnt_c")
R[ratio_vs_empty]=$(ratio "${R[ns_per_event_top]}" "${R[ns_per_event_empty]}")
R[agg_vs_counter_floor_all_hooks]=$(ratio "${R[ns_per_event_top]}" "${R[ns_per_event_counter_all_hooks]}")
R[hist_cost_ratio]=$(ratio "${R[ns_per_event_top]}" "${R[ns_per_event_top_nohist]}")
echo "   aggregation: ${R[ns_per_event_top]} ns/event, ${R[ratio_vs_empty]}x the empty floor (target <= 3x)," \
	"${R[agg_vs_counter_floor_all_hooks]}x the one-counter floor"
echo "   histograms: ${R[ns_per_event_top]} ns/event with them, ${R[ns_per_event_top_nohist]} without:" \
	"${R[hist_cost_ratio]}x (target <= 1.20x) $(target "${R[hist_cost_ratio]}" 1.20)"

echo
# biosnoop from a newer Debian suite (bench/fetch-biosnoop), on its own loader
bio=$top/build/biosnoop
biolib=$bio/usr/lib/x86_64-linux-gnu
echo "3. The anchor: biosnoop (Debian's libbpf-tools $(cat "$bio/version" 2>/dev/null)) beside p2ptrace on the same block I/O"
R[ns_per_event_biosnoop]=null R[ns_per_event_ours_block]=null
if [ -x "$bio/usr/sbin/biosnoop-libbpf" ] &&
	start_tool bio "$biolib/ld-linux-x86-64.so.2" --library-path "$biolib" "$bio/usr/sbin/biosnoop-libbpf"; then
	start_tool trace "$bin/p2ptrace" -j
	snap b0
	copy -D "$secs" "$A_DISK" "$B_DISK" >/dev/null
	snap b1
	stop_tool trace
	stop_tool bio
	bt=0 bc=0 ot=0 oc=0
	for h in issue complete; do
		b=$(cost b0 b1 "block_rq_$h"); [ "${b#* }" != 0 ] || b=$(cost b0 b1 "block_rq_${h:0:6}")
		o=$(cost b0 b1 "tp_rq_$h")
		printf '   block_rq_%-8s biosnoop %6s ns/event, p2ptrace %6s ns/event\n' "$h" "$(per_event "$b")" "$(per_event "$o")"
		bt=$((bt + ${b% *})) bc=$((bc + ${b#* })) ot=$((ot + ${o% *})) oc=$((oc + ${o#* }))
	done
	R[ns_per_event_biosnoop]=$(per_event "$bt $bc")
	R[ns_per_event_ours_block]=$(per_event "$ot $oc")
	echo "   issue + complete: ours ${R[ns_per_event_ours_block]} ns/event, biosnoop ${R[ns_per_event_biosnoop]}" \
		"(target: ours <= biosnoop)"
else
	echo "   biosnoop cannot run: $(tail -n 1 "$work/bio.err" 2>/dev/null || echo "not fetched (bench/fetch-biosnoop)")"
fi

echo
echo "4. Overhead as a share of the workload's CPU time: p2pio $A_DISK -> $B_DISK, ${secs}s"
for t in p2ptrace p2ptop; do
	if [ $t = p2ptrace ]; then start_tool trace "$bin/p2ptrace" -j; else start_tool top "$bin/p2ptop" -j 1; fi
	snap c0
	copy -D "$secs" "$A_DISK" "$B_DISK" >"$work/c.json"
	snap c1
	if [ $t = p2ptrace ]; then stop_tool trace; else stop_tool top; fi
	bpf_ns=$(jq -n -r --slurpfile a "$work/c0.json" --slurpfile b "$work/c1.json" '
		[$b[0][] | select(.name | test("^(tp|fexit|fentry|kp|krp)_")) | . as $x
		 | (([$a[0][] | select(.id == $x.id)] | first // {run_time_ns: 0}).run_time_ns // 0) as $y
		 | (($x.run_time_ns // 0) - $y)] | add // 0')
	cpu=$(jq -M .cpu_s "$work/c.json")
	share=$(awk -v b="$bpf_ns" -v c="$cpu" 'BEGIN { printf "%.4f", b / 1e9 / c }')
	R[cpu_share_$t]=$share
	printf '   %-8s BPF %.3f s in all against p2pio %.3f CPU s: %.2f%% (target %s)\n' $t \
		"$(awk -v b="$bpf_ns" 'BEGIN { print b / 1e9 }')" "$cpu" "$(awk -v s="$share" 'BEGIN { print s * 100 }')" \
		"$([ $t = p2ptop ] && echo '<= 1%' || echo '<= 3%')"
done

echo
echo "5. Throughput with and without the tools: p2pio $A_DISK -> $B_DISK, ${secs}s runs, $rounds rounds"
none=(); trace=(); topv=()
for r in $(seq "$rounds"); do
	none+=("$(copy -D "$secs" "$A_DISK" "$B_DISK" | jq -M .mb_per_s)")
	start_tool trace "$bin/p2ptrace" -j; trace+=("$(copy -D "$secs" "$A_DISK" "$B_DISK" | jq -M .mb_per_s)"); stop_tool trace
	start_tool top "$bin/p2ptop" -j 1; topv+=("$(copy -D "$secs" "$A_DISK" "$B_DISK" | jq -M .mb_per_s)"); stop_tool top
done
n=$(mean "${none[@]}"); t=$(mean "${trace[@]}"); p=$(mean "${topv[@]}")
printf '   untraced %s MB/s (%s), p2ptrace %s (%s), p2ptop %s (%s)\n' "$n" "${none[*]}" "$t" "${trace[*]}" "$p" "${topv[*]}"
R[throughput_ratio_p2ptrace]=$(ratio "$t" "$n") R[throughput_ratio_p2ptop]=$(ratio "$p" "$n")
echo "   ratios ${R[throughput_ratio_p2ptrace]} and ${R[throughput_ratio_p2ptop]}; under TCG the runs alone" \
	"spread $(printf '%s\n' "${none[@]}" | sort -n | head -n1)..$(printf '%s\n' "${none[@]}" | sort -n | tail -n1) MB/s, so section 4 is the measure"

echo
echo "6. The most events p2ptrace keeps up with: 4 KiB chunks, queue depth 32, 2 threads, $B_DISK -> $C_DISK (refused)"
start_tool trace "$bin/p2ptrace" -j
copy -t 2 -q 32 -c 4096 -D 3 "$B_DISK" "$C_DISK" >"$work/io.json"
sleep 0.5
stop_tool trace
events=$(jq -M -s '[.[] | select(.summary) | .summary.events | to_entries[].value] | add' "$work/trace.out")
drops=$(jq -M -s '[.[] | select(.summary) | .summary.drops] | add' "$work/trace.out")
rate=$(awk -v e="$events" -v s="$(jq -M .seconds "$work/io.json")" 'BEGIN { printf "%.0f", e / s }')
R[peak_events_per_s]=$rate R[drops_at_peak]=$drops
echo "   $events events in $(jq -M .seconds "$work/io.json") s: $rate events/s, $drops dropped (target 0)"

echo
echo "7. P2P against a host bounce: $A_DISK -> $B_DISK, ${secs}s each"
copy -D "$secs" "$A_DISK" "$B_DISK" >"$work/p2p.json"
copy -D "$secs" --host "$A_DISK" "$B_DISK" >"$work/host.json"
for k in p2p host; do
	printf '   %-4s %8.2f MB/s %8.3f CPU s/GiB\n' $k "$(jq -M .mb_per_s "$work/$k.json")" \
		"$(jq -M .cpu_s_per_gib "$work/$k.json")"
done
echo "   (the lab's CMB is emulated MMIO under TCG: this says nothing about real hardware)"

echo
echo "8. Memory: peak RSS of the tools during a copy, and their BPF maps"
start_tool trace "$bin/p2ptrace" -j
start_tool top "$bin/p2ptop" -j 1
copy -D "$secs" "$A_DISK" "$B_DISK" >/dev/null
for t in trace top; do
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "$work/$t.pid")/status")
	R[rss_kib_p2p$t]=$rss
	printf '   p2p%-5s peak RSS %s KiB\n' $t "$rss"
done
bpftool map show -j >"$work/maps.json"
stop_tool top
stop_tool trace
jq -M -r '[.[] | select(.name | test("^(events|devnames|losses|provider_stats|pair_stats|pid_stats|pid_comm|live_maps|pending|inflight|kargs|lat_hist|client_disks)$"))]
	| (.[] | "   \(.name) \(.type) max \(.max_entries) \(.bytes_memlock // 0) bytes"),
	  "   both tools loaded: \(map(.bytes_memlock // 0) | add) bytes of maps; every map has max_entries"' "$work/maps.json"
echo "   (target: each tool <= 32 MiB peak RSS)"

echo
echo "9. Aggregation against biotop (Debian's libbpf-tools $(cat "$bio/version" 2>/dev/null)) and the one-counter floor:"
echo "   p2ptop and biotop attached together on the same block I/O (P2P, refused and bounced,"
echo "   and host-memory copies); per completed request (the one-counter floor's run count)"
# the block I/O every figure here is measured on
blockload() {
	copy -D "$secs" "$A_DISK" "$B_DISK" >"$work/bl.p2p.json"
	copy -D "$secs" "$B_DISK" "$C_DISK" >"$work/bl.bounce.json"
	copy -D "$secs" --host "$A_DISK" "$B_DISK" >"$work/bl.host.json"
	jq -M -r -s '[.[].cpu_s] | add | . * 1000 | round / 1000' "$work/bl.p2p.json" "$work/bl.bounce.json" "$work/bl.host.json"
}
# ids_cost FROM TO IDS: "ns_total runs" of the programs with those ids
ids_cost() {
	jq -n -r --slurpfile a "$work/$1.json" --slurpfile b "$work/$2.json" --argjson ids "$3" '
		def s($x): [$x[] | select(.id as $i | $ids | index($i)) | {id, t: (.run_time_ns // 0), c: (.run_cnt // 0)}];
		(s($a[0])) as $A
		| [s($b[0])[] | . as $x | ([$A[] | select(.id == $x.id)] | first // {t: 0, c: 0}) as $y
		   | {t: ($x.t - $y.t), c: ($x.c - $y.c)}]
		| "\(map(.t) | add // 0) \(map(.c) | add // 0)"'
}
sum_cost() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); print x[1] + y[1], x[2] + y[2] }'; }
R[ns_per_event_biotop]=null R[agg_vs_biotop]=null R[cpu_share_biotop]=null R[cpu_share_vs_biotop]=null
start_tool top "$bin/p2ptop" -j 1 || fail "p2ptop does not start"
snap pre
tools=(top)
if [ -x "$bio/usr/sbin/biotop-libbpf" ]; then
	# -C: no screen clearing; it prints nothing until its first report
	# (block-buffered), so it is ready once its programs are loaded
	"$biolib/ld-linux-x86-64.so.2" --library-path "$biolib" "$bio/usr/sbin/biotop-libbpf" -C 1 \
		>"$work/biot.out" 2>"$work/biot.err" &
	echo $! >"$work/biot.pid"
	for _ in $(seq 600); do
		snap post
		[ "$(ids_named post . pre)" != "[]" ] && break
		kill -0 "$(cat "$work/biot.pid")" 2>/dev/null || break
		sleep 0.2
	done
	sleep 1
	snap post
	if kill -0 "$(cat "$work/biot.pid")" 2>/dev/null; then
		tools+=(biot)
	else
		echo "   biotop cannot run: $(tail -n 1 "$work/biot.err")"
	fi
else
	echo "   biotop not fetched (bench/fetch-biosnoop)"
fi
declare -A ids=() all=() c0=()
ids[top]=$(ids_named pre '^tp_rq_(issue|complete)') all[top]=$(ids_named pre "$ours")
if [ ${#tools[@]} = 2 ]; then ids[biot]=$(ids_named post . pre); all[biot]=${ids[biot]}; fi
for t in "${tools[@]}"; do c0[$t]=$(proc_cpu "$(cat "$work/$t.pid")"); done
snap g0
wcpu=$(blockload)
snap g1
k=$(sum_cost "$(cost g0 g1 cnt_rq_issue)" "$(cost g0 g1 cnt_rq_done)")
n=$(cost g0 g1 cnt_rq_done); n=${n#* }
R[ns_per_event_counter_floor]=$(per_event "${k% *} $n")
R[block_requests]=$n
echo "   $n requests; p2pio used $wcpu CPU s; the one-counter floor ${R[ns_per_event_counter_floor]} ns/request"
for t in "${tools[@]}"; do
	o=$(ids_cost g0 g1 "${ids[$t]}")
	proc=$(awk -v a="${c0[$t]}" -v b="$(proc_cpu "$(cat "$work/$t.pid")")" 'BEGIN { printf "%.3f", b - a }')
	bpf_s=$(awk -v t="$(ids_cost g0 g1 "${all[$t]}")" 'BEGIN { split(t, x, " "); printf "%.4f", x[1] / 1e9 }')
	R[ns_per_event_${t}_block]=$(per_event "${o% *} $n")
	R[cpu_s_${t}_bpf]=$bpf_s R[cpu_s_${t}_process]=$proc
	R[cpu_share_${t}_block]=$(awk -v b="$bpf_s" -v p="$proc" -v w="$wcpu" 'BEGIN { printf "%.4f", (b + p) / w }')
	printf '   %-6s %7s ns/request on its block hooks; BPF %.3f s + process %.3f s: %.2f%% of the workload'"'"'s CPU\n' \
		"$([ $t = top ] && echo p2ptop || echo biotop)" "${R[ns_per_event_${t}_block]}" "$bpf_s" "$proc" \
		"$(awk -v s="${R[cpu_share_${t}_block]}" 'BEGIN { print s * 100 }')"
done
[ ${#tools[@]} = 1 ] || stop_tool biot
stop_tool top
R[agg_vs_counter_floor]=$(ratio "${R[ns_per_event_top_block]}" "${R[ns_per_event_counter_floor]}")
R[cpu_share_p2ptop_block]=${R[cpu_share_top_block]}
if [ ${#tools[@]} = 2 ]; then
	R[ns_per_event_biotop]=${R[ns_per_event_biot_block]}
	R[cpu_share_biotop]=${R[cpu_share_biot_block]}
	R[agg_vs_biotop]=$(ratio "${R[ns_per_event_top_block]}" "${R[ns_per_event_biotop]}")
	R[cpu_share_vs_biotop]=$(ratio "${R[cpu_share_p2ptop_block]}" "${R[cpu_share_biotop]}")
fi
echo "   p2ptop over biotop per request: ${R[agg_vs_biotop]}x (target <= 1.0x) $(target "${R[agg_vs_biotop]}" 1.0)"
echo "   p2ptop over the one-counter floor: ${R[agg_vs_counter_floor]}x (target <= 2x) $(target "${R[agg_vs_counter_floor]}" 2)"
echo "   CPU share: p2ptop ${R[cpu_share_p2ptop_block]}, biotop ${R[cpu_share_biotop]}:" \
	"${R[cpu_share_vs_biotop]}x (target <= 1.0x) $(target "${R[cpu_share_vs_biotop]}" 1.0)"
stop_tool base

printf 'RESULTS_JSON {"date":"%s","kernel":"%s"' "$(date -u +%F)" "$(uname -r)"
for k in $(printf '%s\n' "${!R[@]}" | sort); do
	v=${R[$k]}
	[ -n "$v" ] || v=null
	printf ',"%s":%s' "$k" "$v"
done
printf '}\n'
