# lab: --cpu qemu64 --kernel stock
# Our 6.12 without the p2pscope patches: p2pdoctor reads CONFIG_PCI_P2PDMA
# from /proc/config.gz, finds neither the /dev/nvmeN CMB mmap nor the
# p2pdma tracepoints, and its verdicts match the copies the kernel makes or
# refuses (EREMOTEIO on 6.12) in the same boot.
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
check() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | "\(.status) \(.value) \(.source)"' "$work/json"; }

expect_eq "p2pdma check" "$(check p2pdma)" "ok y /proc/config.gz"
expect_eq "CMB mmap check" "$(check cmb_mmap)" "info no /proc/kallsyms"
expect_eq "tracepoints check" "$(check tracepoints | cut -d' ' -f1,2)" "info no"
grep -q '^  info  tracepoints  no .*fall back to fentry and kprobes' "$work/out" ||
	fail "no word of what p2ptrace and p2ptop see without the tracepoints"
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
