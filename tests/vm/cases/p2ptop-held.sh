# lab: --cpu qemu64
# "Who holds my CMB?" for memory mapped before p2ptop started: a process maps
# and touches 3 MiB in 3 mappings, then p2ptop starts. Every report, JSON
# and text, shows 3 MiB in 3 mappings for the provider and the process (not
# 3 more each interval), and 0 once the process has exited.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
maps=3
size=1048576
held=$((maps * size))

"$bin/p2pcheck" occupy --cdev "/dev/$A" --size $size --maps $maps >"$work/occ.out" &
holder=$!
for _ in $(seq 100); do grep -q ready "$work/occ.out" && break; sleep 0.1; done
grep -q ready "$work/occ.out" || fail "the holder never got its mappings"
expect_eq "used before p2ptop starts" $(($(cat "$P2PMEM/size") - $(cat "$P2PMEM/available"))) $held

"$bin/p2ptop" -j 1 5 >"$work/top.json" 2>"$work/top.err" &
top=$!
"$bin/p2ptop" -b 1 5 >"$work/top.txt" 2>"$work/btop.err" &
btop=$!
wait $top || { cat "$work/top.err"; fail "p2ptop -j exited with $?"; }
wait $btop || { cat "$work/btop.err"; fail "p2ptop -b exited with $?"; }
expect_eq "JSON reports" "$(wc -l <"$work/top.json")" 5
expect_eq "every report: provider used, maps, held" \
	"$(jq -M -c ".providers[] | select(.bdf == \"$A_BDF\") | [.used, .live_maps, .held_bytes]" "$work/top.json" | sort | uniq -c | awk '{$1=$1}1')" \
	"5 [$held,$maps,$held]"
expect_eq "every report: the holder" \
	"$(jq -M -c ".processes[] | select(.pid == $holder) | [.comm, .held_bytes, .live_maps]" "$work/top.json" | sort | uniq -c | awk '{$1=$1}1')" \
	"5 [\"p2pcheck\",$held,$maps]"
expect_eq "text reports showing the holder with 3.0M in 3 mappings" \
	"$(grep -Ec "^ *$holder p2pcheck +3.0M +3 " "$work/top.txt")" 5
expect_eq "text reports showing the provider at 3.0M used, 3 mappings" \
	"$(grep -Ec "^$A_BDF +$A +16.0M +3.0M +18.8 +3 " "$work/top.txt")" 5

kill -USR1 $holder
wait $holder
"$bin/p2ptop" -j 1 2 >"$work/after.json"
expect_eq "after the exit: provider" \
	"$(jq -M -c ".providers[] | select(.bdf == \"$A_BDF\") | [.used, .live_maps, .held_bytes]" "$work/after.json" | sort -u)" \
	"[0,0,0]"
expect_eq "after the exit: process rows" "$(jq -M -c "[.processes[] | select(.pid == $holder)] | length" "$work/after.json" | sort -u)" 0
