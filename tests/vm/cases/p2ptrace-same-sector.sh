# lab: --cpu qemu64
# In-flight I/O is tracked per request, not per sector: two p2pio threads at
# queue depth 4 copy the peer's last two 64 KiB chunks onto themselves over
# and over, so reads and writes of the same sectors are in flight together. p2ptrace reports exactly the
# bytes p2pio moved peer-to-peer (adjacent requests may merge, so requests
# are counted against decisions, bytes against p2pio), and drops nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
chunk=65536
disk_size=$(blockdev --getsize64 "$B_DISK")

trace_start json -j -e io,fallback
trace_start maps -j -e map
"$bin/p2pio" -j -t 2 -q 4 -n 256 --cdev "/dev/$A" --offset $((disk_size - 2 * chunk)) \
	"$B_DISK" "$B_DISK" >"$work/io.json"
sleep 0.5
trace_stop json
trace_stop maps
cat "$work/io.json"
p2p=$(jq -M .p2p_ios "$work/io.json")
expect_eq "p2pio copied" "$(jq -M -c '[.chunks, .p2p_ios, .fallbacks, .error]' "$work/io.json")" "[256,512,0,null]"
expect_eq "P2P bytes traced = p2pio's" "$(jq -c 'select(.summary) | .summary.io_bytes.BUS_ADDR' "$work/json.out")" $((p2p * chunk))
ios=$(jcount json '.event == "io" and .result == "ok"')
expect_eq "one decision per traced request" "$(jcount maps '.event == "map" and .map_type == "BUS_ADDR"')" "$ios"
[ "$ios" -le "$p2p" ] && [ "$ios" -ge $((p2p * 9 / 10)) ] || fail "$ios requests for $p2p I/Os"
ok "$ios requests for p2pio's $p2p I/Os (the rest merged)"
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
