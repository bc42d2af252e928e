# lab: --cpu qemu64 --iommu intel-pt
# lab: --cpu EPYC --iommu intel-pt
# With iommu=pt behind QEMU's intel-iommu the guest gives every device an
# identity domain, and the vIOMMU passes their DMA through untranslated:
# the switch peer B's BUS_ADDR copy into A's CMB, which a translating
# vIOMMU drops (dmafault-intel), really happens; so does the root-bus C's
# THRU_HOST_BRIDGE copy where the host bridge allows it (EPYC), and on
# qemu64 C is refused and bounced as without an IOMMU. p2pdoctor says
# passthrough and warns of nothing; the kernel logs no DMAR fault.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
copy() { # SRC: p2pio's pattern copy through A's CMB to A, verified
	local rc=0
	"$bin/p2pio" -j -n 16 --verify --pattern --sysfs "$A_BDF" "$1" "$A_DISK" >"$work/io.json" || rc=$?
	expect_eq "$1 -> A: exit status" $rc 0 >&2
	jq -M -c '[.chunks, .p2p_ios, .fallbacks, .verified, .proven, .error]' "$work/io.json"
}
for d in "$A_BDF" "$B_BDF" "$C_BDF"; do
	expect_eq "$d's IOMMU group" "$(cat "/sys/bus/pci/devices/$d/iommu_group/type")" identity
done
expect_eq "B -> A's CMB -> A (BUS_ADDR), proven" "$(copy "$B_DISK")" "[16,32,0,16,true,null]"
# the kernel's rule (cpu_supports_p2pdma): an AMD CPU of family 0x17 or later
if grep -q AuthenticAMD /proc/cpuinfo && [ "$(awk '/^cpu family/ { print $4; exit }' /proc/cpuinfo)" -ge 23 ]; then
	expect_eq "C -> A's CMB -> A (THRU_HOST_BRIDGE), proven" "$(copy "$C_DISK")" "[16,32,0,16,true,null]"
else
	expect_eq "C -> A: refused, bounced through host memory, proven" "$(copy "$C_DISK")" "[16,0,16,16,true,null]"
fi
expect_eq "DMAR fault lines" "$(dmar_fault_lines | wc -l)" 0
rc=0
"$bin/p2pdoctor" -j -d "$A,$B,$C" >"$work/doctor.json" || rc=$?
expect_eq "p2pdoctor's iommu check" "$(jq -r '.checks[] | select(.name == "iommu") | .value' "$work/doctor.json")" passthrough
expect_eq "p2pdoctor: A -> B, and its warning" \
	"$(jq -c --arg a "$A_BDF" --arg b "$B_BDF" '[.pairs[] | select(.provider == $a and .client == $b) | [.map_type, .warning]]' "$work/doctor.json")" \
	'[["BUS_ADDR",null]]'
