# lab: --cpu qemu64
# p2ptrace reports exactly the events of a known workload: a 64 KiB CMB mapping
# copied to and from the switch peer (BUS_ADDR) and one to and from the
# root-bus NVMe (refused: EREMOTEIO). Text and JSON agree, filters filter, and
# nothing is dropped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
pages=$((size / 4096))

trace_start json -j
trace_start text
trace_start fail -x
trace_start disk -d "$B_DISK"
trace_start prov -P "$A" -e io,fallback

"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size $size --expect ok
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size $size --expect refused

# a process filter: the third copy runs under a known PID
mkfifo "$work/go"
bash -c 'read -r _ <"$0"; exec "$1" copy --cdev "$2" --disk "$3" --size "$4" --expect ok' \
	"$work/go" "$bin/p2pcheck" "/dev/$A" "$B_DISK" $size &
wpid=$!
trace_start pid -p $wpid
echo go >"$work/go"
wait $wpid

sleep 0.5
for t in json text fail disk prov pid; do trace_stop $t; done
cat "$work/text.out"

# the JSON trace: every line parses, and the counts are the workload's
jq -e . "$work/json.out" >/dev/null || fail "p2ptrace -j output is not JSON lines"
ok "p2ptrace -j output parses as JSON"
A_ALLOC='.provider == "'$A_BDF'"'
expect_eq "alloc events" "$(jcount json ".event == \"alloc\" and $A_ALLOC and .bytes == $size")" 3
expect_eq "free events" "$(jcount json ".event == \"free\" and $A_ALLOC and .bytes == 4096")" $((3 * pages))
expect_eq "fault events" "$(jcount json ".event == \"fault\" and .result == \"ok\"")" $((3 * pages))
expect_eq "allocating faults" "$(jcount json ".event == \"fault\" and .allocated")" 3
expect_eq "close events" "$(jcount json ".event == \"close\" and .bytes == $size")" 3
expect_eq "map BUS_ADDR to $B" \
	"$(jcount json ".event == \"map\" and .client == \"$B_BDF\" and .map_type == \"BUS_ADDR\"")" 4
# each refused request is mapped twice (nvme_queue_rqs, then nvme_queue_rq)
expect_eq "map NOT_SUPPORTED to $C" \
	"$(jcount json ".event == \"map\" and .client == \"$C_BDF\" and .map_type == \"NOT_SUPPORTED\"")" 4
expect_eq "P2P I/O to $B" \
	"$(jcount json ".event == \"io\" and .disk == \"${B_DISK#/dev/}\" and .map_type == \"BUS_ADDR\" and .bytes == $size and .result == \"ok\" and .lat_us > 0")" 4
expect_eq "I/O ops to $B" "$(jcount json ".event == \"io\" and .op == \"read\"") $(jcount json ".event == \"io\" and .op == \"write\"")" "2 2"
expect_eq "fallbacks to $C" \
	"$(jcount json ".event == \"fallback\" and .disk == \"${C_DISK#/dev/}\" and .map_type == \"NOT_SUPPORTED\" and .result == \"EREMOTEIO\" and .errno == 121")" 2
expect_eq "other events" "$(jcount json '.event == "revoke"')" 0
summary=$(jq -c 'select(.summary) | .summary' "$work/json.out")
expect_eq "JSON summary" "$(jq -c '[.events.io, .events.fallback, .io_bytes.BUS_ADDR, .fallback_bytes, .drops]' <<<"$summary")" \
	"[4,2,$((4 * size)),$((2 * size)),0]"

# the text trace shows the same events
for e in alloc free fault close map io fallback; do
	expect_eq "text $e lines" "$(tcount text $e)" "$(jcount json ".event == \"$e\"")"
done
grep -q "^dropped events: 0$" "$work/text.out" || fail "text summary does not say 0 drops"
ok "text summary reports 0 drops"

# filters
expect_eq "-x: only refusals and fallbacks" \
	"$(awk '$2 ~ /^[0-9]+$/ {print $4}' "$work/fail.out" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
	"fallback=2 map=4 "
expect_eq "-d $B_DISK: only its I/O" \
	"$(awk '$2 ~ /^[0-9]+$/ {print $4 "/" $6}' "$work/disk.out" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
	"io/${B_DISK#/dev/}=4 "
expect_eq "-P $A -e io,fallback" \
	"$(awk '$2 ~ /^[0-9]+$/ {print $4}' "$work/prov.out" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
	"fallback=2 io=4 "
# the last close frees the pages in the process itself (no deferred work
# since the review's fix), so -p sees its frees too
expect_eq "-p $wpid" \
	"$(awk '$2 ~ /^[0-9]+$/ {print $4}' "$work/pid.out" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
	"alloc=1 close=1 fault=$pages free=$pages io=2 map=2 "
