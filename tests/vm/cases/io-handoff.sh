# lab: --cpu qemu64 --append nvme.io_queue_depth=2
# lab: --cpu qemu64 --append nvme.io_queue_depth=2 --kernel stock
# lab: --cpu qemu64 --append nvme.io_queue_depth=2 --kernel debian
# I/O that a kernel thread issues on a process's behalf is the process's.
# With two tags per NVMe queue, p2pio's 2 MiB reads and writes (split into
# requests of the device's largest transfer) go to io_uring's workers, which
# wait for a tag with requests still plugged; the plug is flushed as the
# worker sleeps, and kblockd's worker issues (and the nvme driver maps)
# those requests.
# p2ptrace and p2ptop charge every byte to p2pio and mark the requests
# handed off; if none was, this case tests nothing, and says so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
chunks=32
chunk=2097152
bytes=$((chunks * chunk))

trace_start t -j -P "$A_BDF"
"$bin/p2ptop" -j 0.5 >"$work/top.json" 2>"$work/top.err" &
top=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }
"$bin/p2pio" -j -t 2 -q 2 -n $chunks -c $chunk --sysfs "$A_BDF" "$B_DISK" "$A_DISK" \
	>"$work/p2pio.json" &
io=$!
wait $io || fail "p2pio failed"
sleep 1.5
kill -INT $top
wait $top || { cat "$work/top.err"; fail "p2ptop exited with $?"; }
trace_stop t

expect_eq "p2pio's own count" "$(jq -M -c '[.chunks, .p2p_ios, .fallbacks]' "$work/p2pio.json")" \
	"[$chunks,$((2 * chunks)),0]"
expect_eq "p2ptrace: the processes P2P I/O is charged to" \
	"$(jq -M -s -c '[.[] | select(.event == "io") | .pid] | unique' "$work/t.out")" "[$io]"
expect_eq "p2ptrace: bytes read and written" \
	"$(jq -M -s -c '[.[] | select(.event == "io")] | [(map(select(.op == "read") | .bytes) | add), (map(select(.op == "write") | .bytes) | add)]' "$work/t.out")" \
	"[$bytes,$bytes]"
handed=$(jcount t '.event == "io" and .handoff')
[ "$handed" -gt 0 ] ||
	fail "no request was handed off to another task: the case did not test its path (nvme.io_queue_depth=2 in effect? $(cat /sys/module/nvme/parameters/io_queue_depth 2>/dev/null))"
ok "$handed of $((2 * chunks)) or fewer requests issued by another task for p2pio"
# a process's row goes once it has exited: its last totals are what it did
expect_eq "p2ptop: p2pio's totals (read, written bytes), and no other process with P2P I/O" \
	"$(jq -M -s -c '[.[] | .processes[] | select(.read_bytes > 0 or .write_bytes > 0)] | group_by(.pid) | map([.[0].pid, (map(.read_bytes) | max), (map(.write_bytes) | max)])' "$work/top.json")" \
	"[[$io,$bytes,$bytes]]"
