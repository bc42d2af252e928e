# lab: --cpu EPYC --iommu intel
# lab: --cpu EPYC --iommu intel --kernel stock
# lab: --cpu EPYC --iommu intel --kernel debian
# Behind QEMU's intel-iommu, with an allowed (AMD Zen) host bridge: the
# root-bus NVMe C gets THRU_HOST_BRIDGE to A's CMB, which the kernel maps
# in C's IOMMU domain, so C -> A's CMB -> A really happens: the pattern is
# verified and proven, A holds C's bytes, p2ptrace counts C's I/O as
# THRU_HOST_BRIDGE P2P, and no DMA faults (no dmafault event, no DMAR line).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
io() { jq -M -c "$1" "$work/io.json"; }
expect_eq "C's IOMMU group" "$(cat "/sys/bus/pci/devices/$C_BDF/iommu_group/type")" DMA-FQ

trace_start json -j
rc=0
"$bin/p2pio" -j -n 16 --verify --pattern --sysfs "$A_BDF" "$C_DISK" "$A_DISK" >"$work/io.json" || rc=$?
sleep 0.5
trace_stop json
cat "$work/io.json"
expect_eq "pattern: exit status" $rc 0
expect_eq "pattern: C -> A" "$(io '[.chunks, .p2p_ios, .fallbacks, .verified, .zero_chunks, .proven, .error]')" \
	"[16,32,0,16,0,true,null]"
bytes=$(io .pattern_bytes)
cmp -n "$bytes" "$C_DISK" "$A_DISK" || fail "A does not hold C's first $bytes bytes"
ok "A holds C's $bytes bytes of pattern (cmp)"

# the block layer may merge adjacent chunks (p2pio's own verify reads of
# C go through host memory): the P2P requests carry every chunk's bytes
n=$(jcount json ".event == \"io\" and .client == \"$C_BDF\" and .map_type == \"THRU_HOST_BRIDGE\" and .result == \"ok\" and .op == \"read\"")
[ "$n" -ge 1 ] && [ "$n" -le 16 ] || fail "$n THRU_HOST_BRIDGE reads by C for 16 chunks"
expect_eq "C's THRU_HOST_BRIDGE P2P reads into the CMB: bytes ($n requests)" \
	"$(jq -s "[.[] | select(.event == \"io\" and .client == \"$C_BDF\" and .map_type == \"THRU_HOST_BRIDGE\" and .op == \"read\") | .bytes] | add" "$work/json.out")" "$bytes"
expect_eq "C's I/O of another map type" "$(jcount json ".event == \"io\" and .client == \"$C_BDF\" and .map_type != \"THRU_HOST_BRIDGE\"")" 0
expect_eq "fallbacks" "$(jcount json '.event == "fallback"')" 0
expect_eq "dmafault events" "$(jcount json '.event == "dmafault"')" 0
expect_eq "IOMMU faults outside the BARs" "$(jq -r 'select(.summary) | .summary.dmafaults_other' "$work/json.out")" 0
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
expect_eq "DMAR fault lines" "$(dmar_fault_lines | wc -l)" 0
