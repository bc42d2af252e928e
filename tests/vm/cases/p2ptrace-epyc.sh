# lab: --cpu EPYC --kernel patched
# lab: --cpu EPYC --kernel stock
# lab: --cpu EPYC --kernel debian
# Through an allowed (AMD Zen) host bridge the root-bus NVMe gets
# THRU_HOST_BRIDGE on every lab kernel, and p2ptrace shows its I/O as P2P,
# not as fallbacks, with nothing dropped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
trace_start json -j
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size $size --expect ok
sleep 0.3
trace_stop json
expect_eq "map THRU_HOST_BRIDGE to $C" \
	"$(jcount json ".event == \"map\" and .client == \"$C_BDF\" and .map_type == \"THRU_HOST_BRIDGE\"")" 2
expect_eq "other map types" "$(jcount json '.event == "map" and .map_type != "THRU_HOST_BRIDGE"')" 0
expect_eq "P2P I/O to $C" \
	"$(jcount json ".event == \"io\" and .client == \"$C_BDF\" and .map_type == \"THRU_HOST_BRIDGE\" and .result == \"ok\" and .bytes == $size")" 2
expect_eq "fallbacks" "$(jcount json '.event == "fallback"')" 0
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
