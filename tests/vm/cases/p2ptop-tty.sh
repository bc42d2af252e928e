# lab: --cpu qemu64
# p2ptop's interactive screen, driven in tmux: at 160x50, during a workload,
# the provider's usage meter and activity lines, the busiest processes and
# the refused pair with its whole reason are all on one screen; the pair
# view shows the selected pair's latency histograms; at 80x24
# nothing is wider than the terminal; the keys do what they say, and q, SIGTERM, SIGHUP and SIGQUIT all leave a sane
# terminal (and exit 0); a crash (SIGSEGV) leaves it sane too.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
server=0
tm() { tmux -L "p2ptop$server" -f /dev/null "$@"; }
# fresh_server: the next session gets a server of its own; one just killed
# may still hold its socket, and a client that reaches it fails ("server
# exited unexpectedly")
fresh_server() {
	tm kill-server 2>/dev/null || true
	server=$((server + 1))
}
screen() { tm capture-pane -p -t top; }
# wait_for TEXT: until the screen shows TEXT (10 s)
wait_for() {
	for _ in $(seq 100); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
	screen
	fail "the screen never showed '$1'"
}
# start: p2ptop in a 100x30 pane; the shell records its status and the tty mode
start() {
	rm -f "$work/rc" "$work/stty"
	fresh_server
	tm new-session -d -s top -x 100 -y 30 \
		"$bin/p2ptop; echo \$? >$work/rc; stty -a >$work/stty; sleep 60"
	wait_for "p2ptop "
	wait_for "$A_BDF"
}
# sane: p2ptop exited 0 and the terminal is back in cooked mode
sane() {
	for _ in $(seq 100); do [ -s "$work/stty" ] && break; sleep 0.1; done
	expect_eq "$1: exit status" "$(cat "$work/rc" 2>/dev/null)" 0
	grep -Eq '(^| )icanon( |$)' "$work/stty" && grep -Eq '(^| )echo( |$)' "$work/stty" ||
		{ cat "$work/stty"; fail "$1: the terminal is left raw"; }
	expect_eq "$1: alternate screen" "$(tm display -p -t top '#{alternate_on}')" 0
}

# the dashboard, at two sizes, while a process holds 2 MiB and a copy is refused
"$bin/p2pcheck" occupy --cdev "/dev/$A" --size 1048576 --maps 2 >"$work/occ.out" &
holder=$!
for _ in $(seq 100); do grep -q ready "$work/occ.out" && break; sleep 0.1; done
for geom in 160x50 80x24; do
	rm -f "$work/rc" "$work/stty"
	fresh_server
	tm new-session -d -s top -x "${geom%x*}" -y "${geom#*x}" \
		"LANG=C.UTF-8 $bin/p2ptop; echo \$? >$work/rc; stty -a >$work/stty; sleep 60"
	wait_for "$A_BDF"
	"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size 65536 --expect refused >/dev/null
	wait_for "2.0M of 16.0M used (12.5%)"
	# the holder shows from the first report, the refused copy from the
	# refresh after it: capture once that one is drawn
	[ "$geom" != 160x50 ] || wait_for "Refused pairs"
	screen >"$work/screen-$geom.txt"
	# characters, not bytes: the meter and sparklines are UTF-8
	python3 -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > int(sys.argv[2]) for l in open(sys.argv[1], encoding="utf-8")))' \
		"$work/screen-$geom.txt" "${geom%x*}" ||
		{ cat "$work/screen-$geom.txt"; fail "$geom: a line is wider than the terminal"; }
	grep -q "P2P MB/s" "$work/screen-$geom.txt" || { cat "$work/screen-$geom.txt"; fail "$geom: no activity line"; }
	tm send-keys -t top q
	sane "q at $geom"
done
cat "$work/screen-160x50.txt"
for want in "Busiest processes" "Refused pairs" "no common upstream bridge; host bridge 8086:29c0 not on the allowlist" "PROVIDER .*USED"; do
	grep -q "$want" "$work/screen-160x50.txt" || fail "160x50: the screen lacks '$want'"
done
grep -Eq "^ *$holder p2pcheck +2.0M +2 " "$work/screen-160x50.txt" || fail "160x50: no holder row"
grep -q '\[█' "$work/screen-160x50.txt" || fail "160x50: no usage meter"
ok "160x50: meter, activity, busiest processes and the refused pair's whole reason on one screen"
kill -USR1 $holder
wait $holder

start
screen | grep -q "PROVIDER .*USED" || { screen; fail "no provider table header"; }
ok "header and provider row are drawn"
wait_for "sort: USED"
tm send-keys -t top s
wait_for "sort: USE%"
tm send-keys -t top '<'
wait_for "sort: USED"
ok "s and < change the sort column"
tm send-keys -t top r
wait_for "(reversed)"
ok "r reverses the sort"
tm send-keys -t top p
wait_for "view: processes"
screen | grep -q "PID .*COMM .*HELD" || { screen; fail "no process table"; }
ok "p shows the process view"
tm send-keys -t top c
wait_for "view: pairs"
screen | grep -q "PROVIDER .*CLIENT .*REASON" || { screen; fail "no pair table"; }
ok "c shows the pair view"
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 65536 --expect ok >/dev/null
wait_for "Latency "
wait_for "P2P: 2 I/Os, p50 "
screen | grep -q "P50us .*P99us" || { screen; fail "no P50us and P99us columns"; }
screen | grep -Eq ' -> [0-9]+ +: [0-9]+ +\|\*' || { screen; fail "no histogram lines in the latency pane"; }
ok "the pair view selects the pair and shows its latency histograms, P2P beside host memory"
tm send-keys -t top '?'
wait_for "this help"
tm send-keys -t top x
wait_for "view: pairs"
ok "? shows help, any key closes it"
tm resize-window -t top -x 70 -y 20 2>/dev/null || tm resize-pane -t top -x 70 -y 20
tm send-keys -t top c
wait_for "view: providers"
screen | python3 -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > 70 for l in sys.stdin))' ||
	{ screen; fail "lines wider than the resized window"; }
ok "redrawn at 70 columns after a resize"
tm send-keys -t top q
sane "q"

for sig in TERM HUP QUIT; do
	start
	kill -$sig "$(pgrep -x p2ptop)"
	sane "SIG$sig"
done

start
kill -SEGV "$(pgrep -x p2ptop)"
for _ in $(seq 100); do [ -s "$work/stty" ] && break; sleep 0.1; done
expect_eq "SIGSEGV: exit status" "$(cat "$work/rc")" 139
grep -Eq '(^| )icanon( |$)' "$work/stty" && grep -Eq '(^| )echo( |$)' "$work/stty" ||
	{ cat "$work/stty"; fail "SIGSEGV: the terminal is left raw"; }
expect_eq "SIGSEGV: alternate screen" "$(tm display -p -t top '#{alternate_on}')" 0
tm kill-server
