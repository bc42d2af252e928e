# lab: --cpu qemu64 --kernel debian --iommu intel
# lab: --cpu qemu64 --iommu intel
# Behind QEMU's vIOMMU p2pdoctor predicts A<->B BUS_ADDR, as the kernel
# does, and warns that such a copy works only where the fabric routes it
# inside the switch; after a copy from B through A's CMB (which the vIOMMU
# drops), it reports the earlier faults on A's BAR by B, as many as dmesg
# has DMAR fault lines. As nobody, the log is readable or said not to be.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
pair() { jq -r --arg p "$1" --arg c "$2" ".pairs[] | select(.provider == \$p and .client == \$c) | $3" "$work/json"; }
doctor() { # NAME: text and JSON for the lab's three NVMe (Debian's guest has virtio-fs devices too)
	local rc=0
	"$bin/p2pdoctor" -d "$A,$B,$C" >"$work/$1.txt" || rc=$?
	expect_eq "$1: exit status (A<->C cannot)" $rc 1
	rc=0
	"$bin/p2pdoctor" -j -d "$A,$B,$C" >"$work/json" || rc=$?
	expect_eq "$1: exit status of -j" $rc 1
}

doctor before
cat "$work/before.txt"
expect_eq "iommu check" "$(jq -r '.checks[] | select(.name == "iommu") | .value' "$work/json")" translated
expect_eq "A<->B" "$(pair "$A_BDF" "$B_BDF" '"\(.map_type) \(.distance)"')" "BUS_ADDR 4"
w=$(pair "$A_BDF" "$B_BDF" .warning)
case $w in
"the IOMMU translates DMA of $B_BDF, but a BUS_ADDR mapping is not in its domain: the transfer works only if the fabric routes it inside the switch, never up to the IOMMU (not in a VM with a vIOMMU, not where a switch forwards P2P upstream)"*"p2pio --verify --pattern --sysfs $A_BDF SRC DST"*"Fix: iommu=pt or an identity domain"*) ok "A<->B warning" ;;
*) fail "A<->B warning: '$w'" ;;
esac
expect_eq "A<->A warning says the device" "$(pair "$A_BDF" "$A_BDF" .warning | grep -c 'inside the device')" 1
expect_eq "A<->C (NOT_SUPPORTED): no warning" "$(pair "$A_BDF" "$C_BDF" .warning)" null
expect_eq "warning lines in the text" "$(grep -c '^ *warning: the IOMMU translates DMA of ' "$work/before.txt")" 2
grep -qx "p2pdoctor: 1 of 3 pairs cannot do P2P; 2 BUS_ADDR pairs behind a translating IOMMU: see their warning" \
	"$work/before.txt" || fail "verdict line"
expect_eq "faults before any copy" "$(jq -c '[.iommu_faults.readable, .iommu_faults.source, .iommu_faults.faults, .iommu_faults.other]' "$work/json")" \
	'[true,"/dev/kmsg",[],0]'
expect_eq "DMAR lines before any copy" "$(dmar_fault_lines | wc -l)" 0

# a copy the vIOMMU drops: B's writes into the CMB fault
rc=0
"$bin/p2pio" -n 16 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >/dev/null 2>&1 || rc=$?
expect_eq "the pattern copy B -> A fails" $rc 1
n=$(dmar_faults_settled)
[ "$n" -ge 1 ] || fail "no DMAR fault in dmesg after the copy"
ok "$n DMAR fault lines in dmesg"

doctor after
sed -n '/^PAIRS/,$p' "$work/after.txt"
expect_eq "faults on A's BAR" "$(jq -c '[.iommu_faults.faults[] | [.device, .provider, .bar, .count, .last.iommu, .last.direction, .last.reason]]' "$work/json")" \
	"[[\"$B_BDF\",\"$A_BDF\",2,$n,\"intel\",\"write\",5]]"
expect_eq "faults elsewhere" "$(jq .iommu_faults.other "$work/json")" 0
expect_eq "A<->B's faults" "$(pair "$A_BDF" "$B_BDF" .iommu_faults)" "$n"
expect_eq "A<->C's faults" "$(pair "$A_BDF" "$C_BDF" .iommu_faults)" 0
last=$(dmar_fault_lines | tail -n 1 | sed -n 's/.* fault addr \(0x[0-9a-f]*\) .*/\1/p')
expect_eq "the last fault's address" "$(jq -r '.iommu_faults.faults[0].last.address' "$work/json")" "$last"
grep -qE "^  $B_BDF  $A_BDF +2 +$n  write at $last: PTE Write access is not set \(DMAR fault reason 0x05\)$" "$work/after.txt" ||
	fail "the text's fault row"
grep -q "faults: $n earlier IOMMU fault" "$work/after.txt" || fail "the text's pair line for the faults"

# as nobody: the log as dmesg_restrict allows
restrict=$(cat /proc/sys/kernel/dmesg_restrict)
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2pdoctor" -j -d "$A,$B,$C" >"$work/user.json" || rc=$?
expect_eq "exit status as nobody" $rc 1
if [ "$restrict" = 1 ]; then
	expect_eq "log as nobody (dmesg_restrict 1)" "$(jq -c '[.iommu_faults.readable, .iommu_faults.faults, ([.pairs[].iommu_faults] | unique)]' "$work/user.json")" \
		'[false,[],[null]]'
	jq -r .iommu_faults.error "$work/user.json" | grep -q "^/dev/kmsg: Operation not permitted; syslog(2): Operation not permitted; kernel.dmesg_restrict = 1$" ||
		fail "the reason: $(jq -r .iommu_faults.error "$work/user.json")"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2pdoctor" | grep -c "kernel log not readable" >"$work/n" || true
	expect_eq "one line says so" "$(cat "$work/n")" 1
else
	expect_eq "faults as nobody (dmesg_restrict 0)" "$(jq -c '[.iommu_faults.faults[] | .count]' "$work/user.json")" "[$n]"
fi
expect_eq "warning as nobody" "$(jq -r --arg p "$A_BDF" --arg c "$B_BDF" '.pairs[] | select(.provider == $p and .client == $c) | .warning != null' "$work/user.json")" true
