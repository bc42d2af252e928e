# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# p2pdoctor predicts what the kernel does. Under -cpu qemu64, A<->B is
# BUS_ADDR (one switch) and A<->C NOT_SUPPORTED (the q35 host bridge
# 8086:29c0 is not on the allowlist). In the same boot a P2P copy of each
# pair succeeds or is refused as predicted, and with our series the
# kernel's own p2pdma:p2pdma_map_type events report the predicted map
# types. The kernel checks name the source that answered (checked here
# independently) and see our series, or not. As nobody the verdicts stay.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
rc=0
"$bin/p2pdoctor" >"$work/out" || rc=$?
cat "$work/out"
expect_eq "exit status (A<->C cannot)" $rc 1
rc=0
"$bin/p2pdoctor" -j >"$work/json" || rc=$?
expect_eq "exit status of -j" $rc 1
pair() { jq -r --arg p "$1" --arg c "$2" ".pairs[] | select(.provider == \$p and .client == \$c) | $3" "$work/json"; }
check() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | "\(.status) \(.value)"' "$work/json"; }

rel=$(uname -r)
if [ -r "/boot/config-$rel" ]; then src=/boot/config-$rel
elif [ -r /proc/config.gz ]; then src=/proc/config.gz
else src="BTF /sys/kernel/btf/vmlinux: struct pci_p2pdma_pagemap"
fi
expect_eq "p2pdma check" "$(check p2pdma)" "ok y"
expect_eq "p2pdma source" "$(jq -r '.checks[] | select(.name == "p2pdma") | .source' "$work/json")" "$src"
expect_eq "zone_device check" "$(check zone_device)" "ok y"
expect_eq "sysfs_alloc check" "$(check sysfs_alloc)" "ok 1"
if has_our_series; then
	expect_eq "CMB mmap check" "$(check cmb_mmap)" "ok yes"
	expect_eq "tracepoints check" "$(check tracepoints)" "ok yes"
else
	expect_eq "CMB mmap check" "$(check cmb_mmap)" "info no"
	expect_eq "tracepoints check" "$(check tracepoints)" "info no"
fi
expect_eq "providers" "$(jq -c .providers "$work/json")" "[\"$A_BDF\"]"
expect_eq "A's P2P memory" "$(jq -r --arg a "$A_BDF" '.devices[] | select(.bdf == $a) | "\(.nvme) \(.p2pmem.size) \(.p2pmem.published)"' "$work/json")" \
	"$A 16777216 true"
expect_eq "A<->A" "$(pair "$A_BDF" "$A_BDF" '"\(.map_type) \(.distance)"')" "BUS_ADDR 0"
expect_eq "A<->B" "$(pair "$A_BDF" "$B_BDF" '"\(.map_type) \(.distance) \(.common_upstream)"')" \
	"BUS_ADDR 4 $(basename "$(dirname "$(dirname "$(readlink -f "/sys/bus/pci/devices/$B_BDF")")")")"
expect_eq "A<->C" "$(pair "$A_BDF" "$C_BDF" .map_type)" NOT_SUPPORTED
expect_eq "A<->C reason" "$(pair "$A_BDF" "$C_BDF" .reason)" \
	"no common upstream bridge; host bridge 8086:29c0 not on the allowlist"
grep -q "^  $A_BDF  $C_BDF  NOT_SUPPORTED .*host bridge 8086:29c0 not on the allowlist" "$work/out" ||
	fail "the text does not give A<->C's reason"
for x in A B C; do
	bdf=$(eval echo "\$${x}_BDF")
	[ "$(pair "$A_BDF" "$bdf" .guessed)" = false ] || fail "A<->$x: guessed as root"
done

# What the kernel does: a copy per pair, and (with our series) its own
# map-type decisions.
t=/sys/kernel/tracing
if has_our_series; then
	echo 1 >$t/events/p2pdma/p2pdma_map_type/enable
	: >$t/trace
fi
for x in A B C; do
	bdf=$(eval echo "\$${x}_BDF")
	disk=$(eval echo "\$${x}_DISK")
	want=$(pair "$A_BDF" "$bdf" .map_type)
	[ "$want" = NOT_SUPPORTED ] && expect=refused || expect=ok
	"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$disk" --size 1048576 --offset 4194304 --expect $expect
	ok "A<->$x: predicted $want, copy $expect"
done
if has_our_series; then
	echo 0 >$t/events/p2pdma/p2pdma_map_type/enable
	for x in A B C; do
		bdf=$(eval echo "\$${x}_BDF")
		seen=$(sed -n "s/.*p2pdma_map_type: provider=$A_BDF client=$bdf type=\([A-Z_]*\) .*/\1/p" $t/trace |
			sort -u | tr '\n' ' ')
		expect_eq "the kernel's map type for A<->$x" "$seen" "$(pair "$A_BDF" "$bdf" .map_type) "
	done
fi

# Named pairs decide the exit status.
"$bin/p2pdoctor" -d "$A,$B" >/dev/null || fail "-d $A,$B: want exit 0"
ok "exit status of -d $A,$B = 0"
rc=0
"$bin/p2pdoctor" -d "$A_BDF,$C" >/dev/null || rc=$?
expect_eq "exit status of -d $A_BDF,$C" $rc 1
rc=0
"$bin/p2pdoctor" "$B_DISK" >/dev/null 2>"$work/err" || rc=$?
expect_eq "exit status for a disk name" $rc 2

# Without root: the same verdicts, from 64 bytes of config space.
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2pdoctor" -j >"$work/user.json" || rc=$?
expect_eq "exit status as nobody" $rc 1
expect_eq "verdicts as nobody" "$(jq -c '[.pairs[] | [.client, .map_type, .distance]]' "$work/user.json")" \
	"$(jq -c '[.pairs[] | [.client, .map_type, .distance]]' "$work/json")"
expect_eq "config space as nobody" "$(jq -r '.checks[] | select(.name == "config_space") | .value' "$work/user.json")" limited
