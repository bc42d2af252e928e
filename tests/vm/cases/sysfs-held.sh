# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# Who holds the CMB, for sysfs p2pmem/allocate mappings (what p2pmem-test,
# fio and GPUDirect Storage use) on every kernel: a process maps 2 MiB after
# p2ptop started, unmaps half, forks, unmaps the rest while its child keeps
# it, and the child exits. Each p2ptop report after a step shows exactly
# what each process holds, the provider's held bytes once, and
# held_tracked; p2ptrace shows each page freed by the process that held it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=2097152
half=$((size / 2))
pages=$((half / 4096))

trace_start trace -j -e free -P "$A_BDF"
"$bin/p2ptop" -j 0.5 >"$work/top.json" 2>"$work/top.err" &
top=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }
"$bin/p2pcheck" lifetime --sysfs "$A_BDF" --size $size >"$work/life.out" &
holder=$!
child=

# at STEP: after it, two more reports; the last one is checked
at() {
	local n
	for _ in $(seq 300); do grep -q "^step $1" "$work/life.out" && break; sleep 0.1; done
	grep -q "^step $1" "$work/life.out" || fail "the holder never reached step $1"
	n=$(wc -l <"$work/top.json")
	for _ in $(seq 300); do [ "$(wc -l <"$work/top.json")" -ge $((n + 2)) ] && break; sleep 0.1; done
	tail -n 1 "$work/top.json" >"$work/last.json"
}
held() { jq -M "[.processes[] | select(.pid == $1) | .held_bytes] | add // 0" "$work/last.json"; }
prov() { jq -M -c ".providers[] | select(.bdf == \"$A_BDF\") | [.used, .held_bytes]" "$work/last.json"; }
next() { kill -USR1 $holder; }

at mapped
expect_eq "held_tracked" "$(jq -M .held_tracked "$work/last.json")" true
expect_eq "mapped: the holder" "$(held $holder)" $size
expect_eq "mapped: provider used, held" "$(prov)" "[$size,$size]"
next; at half
expect_eq "half unmapped: the holder" "$(held $holder)" $half
expect_eq "half unmapped: provider used, held" "$(prov)" "[$half,$half]"
next; at forked
child=$(sed -n 's/^step forked //p' "$work/life.out")
expect_eq "forked: the holder" "$(held $holder)" $half
expect_eq "forked: the child" "$(held "$child")" $half
expect_eq "forked: provider used, held (once)" "$(prov)" "[$half,$half]"
next; at unmapped
expect_eq "parent unmapped: the parent" "$(held $holder)" 0
expect_eq "parent unmapped: the child" "$(held "$child")" $half
expect_eq "parent unmapped: provider used, held" "$(prov)" "[$half,$half]"
next; at childgone
expect_eq "child exited: the child" "$(held "$child")" 0
expect_eq "child exited: provider used, held" "$(prov)" "[0,0]"
expect_eq "nothing lost" "$(jq -M -c '[.complete, .lost.nested]' "$work/last.json")" "[true,0]"
next
wait $holder || fail "p2pcheck lifetime failed"
kill -INT $top
wait $top || { cat "$work/top.err"; fail "p2ptop exited with $?"; }
trace_stop trace

A=".provider == \"$A_BDF\" and .bytes == 4096"
expect_eq "pages freed by the holder (its munmap of half)" "$(jcount trace ".event == \"free\" and $A and .pid == $holder")" $pages
expect_eq "pages freed by the child (its exit)" "$(jcount trace ".event == \"free\" and $A and .pid == $child")" $pages
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/trace.out")" 0
