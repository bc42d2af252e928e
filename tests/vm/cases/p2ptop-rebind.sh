# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debian
# p2ptop keeps each provider's p2pmem files open between intervals. While it
# runs, the CMB's device is unbound: its row goes away and unbind still
# returns. After a rebind the row is back, read from the new p2pmem files, as
# a mapping made after the rebind shows; also for a p2ptop whose interval
# spans the unbind and rebind, so it never sees the device gone.
. "$(dirname "$0")/../lib.sh"
lab_devices
avail0=$(cat "$P2PMEM/available")
size=$(cat "$P2PMEM/size")
work=$(mktemp -d)

"$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
"$bin/p2ptop" -j 40 1 >"$work/slow.json" 2>"$work/slow.err" &
slow=$!
row() { tail -n 1 "$1" | jq -M -c "[.providers[] | select(.bdf == \"$A_BDF\") | [.size, .available]]"; }
wait_row() { # FILE WANT SECONDS
	for _ in $(seq $(($3 * 10))); do [ "$(row "$1")" = "$2" ] && break; sleep 0.1; done
	expect_eq "$(basename "$1"): size and available of $A_BDF" "$(row "$1")" "$2"
}
open_files() { find "/proc/$1/fd" -lname "*/$A_BDF/p2pmem/*" 2>/dev/null | wc -l; }
for _ in $(seq 150); do [ "$(open_files $slow)" = 3 ] && break; sleep 0.1; done
expect_eq "p2pmem files p2ptop -j 40 holds open" "$(open_files $slow)" 3
wait_row "$work/top.json" "[[$size,$avail0]]" 15

unbind_provider 5 "with p2ptop's p2pmem files open"
wait_row "$work/top.json" "[]" 5
rebind_provider "$avail0" 10
wait_row "$work/top.json" "[[$size,$avail0]]" 5

"$bin/p2pcheck" occupy --sysfs "$A_BDF" --size 1048576 --maps 1 >"$work/occ.out" &
holder=$!
for _ in $(seq 100); do grep -q ready "$work/occ.out" && break; sleep 0.1; done
grep -q ready "$work/occ.out" || fail "the holder never got its mapping"
[ ! -s "$work/slow.json" ] || fail "unbind and rebind took longer than 40 s: cannot test a rebind within an interval"
wait_row "$work/top.json" "[[$size,$((avail0 - 1048576))]]" 5
wait $slow || { cat "$work/slow.err"; fail "p2ptop -j 40 exited with $?"; }
wait_row "$work/slow.json" "[[$size,$((avail0 - 1048576))]]" 1
kill -USR1 $holder
wait $holder
wait_row "$work/top.json" "[[$size,$avail0]]" 5

kill -INT $top
wait $top || { cat "$work/top.err"; fail "p2ptop exited with $?"; }
