# lab: --cpu qemu64
# In-flight I/O is tracked per request, not per sector: two p2pio threads at
# queue depth 4 copy the same two 64 KiB chunks over and over, so requests
# to the same sectors are in flight together. p2ptrace reports exactly the
# I/Os p2pio made, with their bytes, and drops nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
chunk=65536
disk_size=$(blockdev --getsize64 "$A_DISK")

trace_start json -j -e io,fallback
trace_start maps -j -e map
"$bin/p2pio" -j -t 2 -q 4 -n 256 --cdev "/dev/$A" --offset $((disk_size - 2 * chunk)) \
	"$A_DISK" "$B_DISK" >"$work/io.json"
sleep 0.5
trace_stop json
trace_stop maps
cat "$work/io.json"
p2p=$(jq -M .p2p_ios "$work/io.json")
expect_eq "p2pio copied" "$(jq -M -c '[.chunks, .p2p_ios, .fallbacks, .error]' "$work/io.json")" "[256,512,0,null]"
expect_eq "io events = p2pio's P2P I/Os" "$(jcount json '.event == "io" and .result == "ok" and .bytes == 65536')" "$p2p"
expect_eq "P2P bytes" "$(jq -c 'select(.summary) | .summary.io_bytes.BUS_ADDR' "$work/json.out")" $((p2p * chunk))
expect_eq "map events = p2pio's P2P I/Os" "$(jcount maps '.event == "map" and .map_type == "BUS_ADDR"')" "$p2p"
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
