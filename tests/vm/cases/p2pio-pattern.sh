# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# Without an IOMMU, B -> A's CMB -> A is peer-to-peer and really happens:
# on the lab's zeroed disks --verify finds every chunk equal but proves
# nothing (exit 3, no "DST matches SRC"); with --pattern SRC gets this
# run's data first and the same copy is verified and proven, and A's disk
# holds B's bytes (cmp).
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
io() { jq -M -c "$1" "$work/io.json"; }

# zeros: equal, not proven
rc=0
"$bin/p2pio" -n 32 --verify --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.txt" 2>"$work/io.err" || rc=$?
cat "$work/io.txt" "$work/io.err"
expect_eq "zeros: exit status" $rc 3
grep -q "DST matches SRC" "$work/io.txt" && fail "zeros: a match is claimed"
grep -qx "  verified 32 chunks, 32 of them all zeros: a copy of zeros proves nothing (use --pattern)" "$work/io.txt" ||
	fail "zeros: the report does not say so"
rc=0
"$bin/p2pio" -j -n 32 --verify --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.json" || rc=$?
expect_eq "zeros: JSON" "$(io '[.chunks, .p2p_ios, .verified, .zero_chunks, .dst_matches, .proven]')" "[32,64,32,32,true,false]"

# the pattern: proven
rc=0
"$bin/p2pio" -j -n 32 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.json" || rc=$?
cat "$work/io.json"
expect_eq "pattern: exit status" $rc 0
expect_eq "pattern: B -> A" "$(io '[.chunks, .p2p_ios, .fallbacks, .verified, .zero_chunks, .pattern_bytes, .proven, .error]')" \
	"[32,64,0,32,0,2097152,true,null]"
cmp -n 2097152 "$B_DISK" "$A_DISK" || fail "A does not hold B's first 2 MiB"
[ "$(head -c 2097152 "$B_DISK" | tr -d '\0' | wc -c)" -gt 2000000 ] || fail "B's first 2 MiB are mostly zeros"
ok "A holds B's 2 MiB of pattern (cmp), nearly no zero byte in it"
"$bin/p2pio" -n 32 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.txt"
grep -qx "  verified 32 chunks: DST matches SRC" "$work/io.txt" || { cat "$work/io.txt"; fail "pattern: no proven match in the text"; }
ok "pattern: text says DST matches SRC"
