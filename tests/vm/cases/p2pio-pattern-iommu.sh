# lab: --cpu qemu64 --kernel debian --iommu intel
# lab: --cpu qemu64 --iommu intel
# Behind QEMU's vIOMMU the kernel still maps B -> A's CMB BUS_ADDR (no ACS
# in the switch), but QEMU sends B's DMA through the vIOMMU, which has no
# mapping for A's BAR: the writes into the CMB are dropped with a DMAR
# fault while every NVMe command completes with success. On the zeroed
# disks --verify must not call that proven (exit 3), and with --pattern it
# must fail (exit 1, the mismatch said). The faults in dmesg name B and
# lie in A's CMB BAR; tests/vm/run does not take them for a kernel report.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
io() { jq -M -c "$1" "$work/io.json"; }
expect_eq "B's IOMMU group" "$(cat "/sys/bus/pci/devices/$B_BDF/iommu_group/type")" DMA-FQ
expect_eq "DMAR faults before the copy" "$(dmar_fault_lines | wc -l)" 0

# zeros: every chunk "equal", nothing proven
rc=0
"$bin/p2pio" -n 16 --verify --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.txt" 2>"$work/io.err" || rc=$?
cat "$work/io.txt" "$work/io.err"
expect_eq "zeros: exit status" $rc 3
grep -q "DST matches SRC" "$work/io.txt" && fail "zeros: a match is claimed for a copy that did not happen"
grep -qx "  verified 16 chunks, 16 of them all zeros: a copy of zeros proves nothing (use --pattern)" "$work/io.txt" ||
	fail "zeros: the report does not say so"
grep -q "P2P I/Os 32, refused 0, fallbacks 0" "$work/io.txt" || fail "zeros: the I/Os did not all complete as P2P"
ok "zeros: 32 P2P I/Os completed, nothing claimed"

# the pattern: the loss shows
rc=0
"$bin/p2pio" -j -n 16 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.json" || rc=$?
cat "$work/io.json"
expect_eq "pattern: exit status" $rc 1
# which chunk is found first depends on the order of completions
expect_eq "pattern: the mismatch" "$(io '[.refused, .dst_matches, .proven, .errno, (.error | test("^verify: DST differs from SRC in the chunk at [0-9]+$"))]')" \
	'[0,false,false,"EILSEQ",true]'
rc=0
"$bin/p2pio" -n 16 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.txt" 2>"$work/io.err" || rc=$?
expect_eq "pattern (text): exit status" $rc 1
grep -q "DST matches SRC" "$work/io.txt" && fail "pattern: a match is claimed"
grep -qxE "p2pio: verify: DST differs from SRC in the chunk at [0-9]+: Invalid or incomplete multibyte or wide character" "$work/io.err" ||
	{ cat "$work/io.err"; fail "pattern: stderr does not say DST differs"; }
ok "pattern: the dropped copy fails: $(cat "$work/io.err")"

# the faults: B's DMA writes, into A's CMB (BAR 2)
n=$(dmar_faults_settled)
dmar_fault_lines
[ "$n" -ge 1 ] || fail "no DMAR fault in dmesg"
read -r lo hi < <(bar_range "$A_BDF" 2)
b_short=${B_BDF#0000:}
dmar_fault_lines | while read -r line; do
	grep -qE "\[DMA Write NO_PASID\] Request device \[(0000:)?$b_short\] fault addr 0x[0-9a-f]+ \[fault reason 0x05\] PTE Write access is not set" <<<"$line" ||
		fail "not a write fault of B's: $line"
	addr=$(sed -n 's/.* fault addr \(0x[0-9a-f]*\) .*/\1/p' <<<"$line")
	[ $((addr)) -ge "$lo" ] && [ $((addr)) -le "$hi" ] || fail "fault at $addr, not in A's BAR 2 [$lo, $hi]"
done
ok "$n DMAR faults, each a write by $B_BDF into A's BAR 2"
