# Guest helpers for the p2ptrace cases (sourced after lib.sh).

# trace_start NAME ARGS...: run p2ptrace in the background into $work/NAME.out
trace_start() {
	local name=$1
	shift
	"$bin/p2ptrace" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	eval "pid_$name=$!"
	for _ in $(seq 300); do
		grep -q '^Tracing' "$work/$name.err" && return 0
		kill -0 "$(eval echo "\$pid_$name")" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/$name.err" >&2
	fail "p2ptrace $* did not start"
}

# trace_stop NAME: Ctrl-C it and check it exited cleanly
trace_stop() {
	local pid
	pid=$(eval echo "\$pid_$1")
	kill -INT "$pid"
	wait "$pid" || { cat "$work/$1.err" >&2; fail "p2ptrace ($1) exited with $?"; }
}

# jcount NAME JQ-FILTER: number of JSON events of trace NAME matching the filter
jcount() { jq -c "select(.event != null) | select($2)" "$work/$1.out" | wc -l; }

# tcount NAME EVENT: number of text lines of trace NAME for EVENT
tcount() { awk -v e="$2" '$2 ~ /^[0-9]+$/ && $4 == e' "$work/$1.out" | wc -l; }
