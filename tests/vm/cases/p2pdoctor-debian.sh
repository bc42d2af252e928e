# lab: --cpu qemu64 --kernel debian
# Debian's own 7.x kernel, as users run it: P2PDMA built in but none of our
# patches. p2pdoctor reads the config from the first source that has it
# (checked here independently), finds no CMB mmap and no p2pdma
# tracepoints, and its verdicts match the copies the kernel makes or refuses
# (EINVAL on 7.x) in the same boot.
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
expect_eq "CMB mmap check" "$(check cmb_mmap)" "info no"
expect_eq "tracepoints check" "$(check tracepoints)" "info no"
expect_eq "A<->A" "$(pair "$A_BDF" "$A_BDF" '"\(.map_type) \(.distance)"')" "BUS_ADDR 0"
expect_eq "A<->B" "$(pair "$A_BDF" "$B_BDF" '"\(.map_type) \(.distance)"')" "BUS_ADDR 4"
expect_eq "A<->C" "$(pair "$A_BDF" "$C_BDF" '"\(.map_type) \(.reason)"')" \
	"NOT_SUPPORTED no common upstream bridge; host bridge 8086:29c0 not on the allowlist"
for x in A B C; do
	bdf=$(eval echo "\$${x}_BDF")
	want=$(pair "$A_BDF" "$bdf" .map_type)
	[ "$want" = NOT_SUPPORTED ] && expect=refused || expect=ok
	"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$(eval echo "\$${x}_DISK")" --size 1048576 \
		--offset 4194304 --expect $expect
	ok "A<->$x: predicted $want, copy $expect"
done
