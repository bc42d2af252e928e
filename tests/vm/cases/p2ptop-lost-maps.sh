# lab: --cpu qemu64
# Accounting state is never dropped silently: with room for only 2 live
# mappings (P2PSCOPE_MAX_MAPS=2), a third mapping made under p2ptop is
# counted as lost, and p2ptop says its tables are incomplete (JSON
# "complete": false, "lost": {"maps": 1}, text header INCOMPLETE). The
# mapping BPF had no room for is still found, in the /proc entry of the
# process BPF saw fault: 3 MiB in 3 mappings, not 2 MiB as all that is held.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)

P2PSCOPE_MAX_MAPS=2 "$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
P2PSCOPE_MAX_MAPS=2 "$bin/p2ptop" -b 1 >"$work/top.txt" 2>"$work/btop.err" &
btop=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && [ -s "$work/top.txt" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }
expect_eq "complete before" "$(head -n 1 "$work/top.json" | jq -M -c '[.complete, .lost.maps]')" "[true,0]"

"$bin/p2pcheck" occupy --cdev "/dev/$A" --size 1048576 --maps 3 >"$work/occ.out" &
holder=$!
for _ in $(seq 100); do grep -q ready "$work/occ.out" && break; sleep 0.1; done
grep -q ready "$work/occ.out" || fail "the holder never got its mappings"
sleep 2.5
last() { tail -n 1 "$work/top.json" | jq -M -c "$1"; }
expect_eq "complete and lost" "$(last '[.complete, .lost.maps]')" "[false,1]"
expect_eq "what is held (the third from /proc)" \
	"$(last ".providers[] | select(.bdf == \"$A_BDF\") | [.used, .live_maps, .held_bytes]")" \
	"[3145728,3,3145728]"
grep -q "INCOMPLETE" "$work/top.txt" || { tail "$work/top.txt"; fail "the text report does not say it is incomplete"; }
ok "the text report says INCOMPLETE"
kill -USR1 $holder
wait $holder
kill -INT $top $btop
wait $top && wait $btop || fail "p2ptop exited with an error"
