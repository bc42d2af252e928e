# lab: --cpu qemu64
# p2pio copies through the CMB with every chunk verified: to the switch peer
# peer-to-peer, to the root-bus NVMe through the host bounce (fallbacks), and
# refuses that with --no-fallback. Bad input exits 2 with one line.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
io() { jq -M -c "$1" "$work/io.json"; }

# known data on A, copied to B peer-to-peer (2 threads, depth 4)
dd if=/dev/urandom of="$A_DISK" bs=1M count=8 oflag=direct status=none
"$bin/p2pio" -j -t 2 -q 4 -n 128 --verify --cdev "/dev/$A" "$A_DISK" "$B_DISK" >"$work/io.json"
cat "$work/io.json"
expect_eq "A -> B" "$(io '[.chunks, .bytes, .p2p_ios, .refused, .fallbacks, .verified, .error]')" \
	"[128,8388608,256,0,0,128,null]"
cmp -n 8388608 "$A_DISK" "$B_DISK" || fail "B does not hold A's first 8 MiB"
ok "B holds A's first 8 MiB (cmp)"

# B to C: reads are P2P, writes to the root bus are refused and bounced
"$bin/p2pio" -j -n 64 --verify "$B_DISK" "$C_DISK" >"$work/io.json"
cat "$work/io.json"
expect_eq "B -> C" "$(io '[.chunks, .p2p_ios, .refused, .fallbacks, .verified, .error, .buffer]')" \
	"[64,64,64,64,64,null,\"cdev:/dev/$A\"]"
cmp -n 4194304 "$B_DISK" "$C_DISK" || fail "C does not hold B's first 4 MiB"
ok "C holds B's first 4 MiB (cmp)"

# --no-fallback: the first refusal is an error
rc=0
"$bin/p2pio" -j -q 1 -n 8 --no-fallback "$B_DISK" "$C_DISK" >"$work/io.json" || rc=$?
expect_eq "--no-fallback exit status" $rc 1
expect_eq "--no-fallback report" "$(io '[.fallbacks, .errno]')" '[0,"EREMOTEIO"]'

# a copy that fails is never reported as verified
rc=0
"$bin/p2pio" -q 1 -n 8 --verify --no-fallback "$B_DISK" "$C_DISK" >"$work/io.txt" 2>"$work/io.err" || rc=$?
expect_eq "--verify after a failure: exit status" $rc 1
grep -q "DST matches SRC" "$work/io.txt" && { cat "$work/io.txt"; fail "--verify claims a match after a failure"; }
grep -q "nothing is claimed about the rest" "$work/io.txt" || { cat "$work/io.txt"; fail "--verify says nothing of what it checked"; }
"$bin/p2pio" -j -q 1 -n 8 --verify --no-fallback "$B_DISK" "$C_DISK" >"$work/io.json" || true
expect_eq "--verify after a failure: JSON" "$(io '[.dst_matches, .errno]')" '[false,"EREMOTEIO"]'

# host memory and the sysfs buffer
"$bin/p2pio" -j -n 32 --verify --host "$A_DISK" "$C_DISK" >"$work/io.json"
expect_eq "--host" "$(io '[.chunks, .p2p_ios, .fallbacks, .verified, .buffer]')" '[32,0,0,32,"host"]'
"$bin/p2pio" -j -n 32 --verify --sysfs "$A_BDF" "$A_DISK" "$B_DISK" >"$work/io.json"
expect_eq "--sysfs" "$(io '[.chunks, .p2p_ios, .verified, .buffer]')" "[32,64,32,\"sysfs:$A_BDF\"]"
"$bin/p2pio" -j -D 1 "$A_DISK" "$B_DISK" >"$work/io.json"
[ "$(io '.chunks')" -gt 0 ] && [ "$(io '.error')" = null ] || fail "-D 1 copied nothing"
ok "-D 1 copied $(io '.chunks') chunks at $(io '.mb_per_s') MB/s"

# bad input
err=$(mktemp)
expect_usage() {
	local what=$1 pattern=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$err" || rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "$pattern" "$err" ||
		{ cat "$err"; fail "$what: exit $rc"; }
	ok "$what: $(cat "$err")"
}
expect_usage "not a block device" "not a block device" "$bin/p2pio" /dev/null "$B_DISK"
expect_usage "no such device" "cannot open" "$bin/p2pio" /dev/nvme9n9 "$B_DISK"
expect_usage "bigger than the CMB" "needs 33554432 bytes of P2P memory" "$bin/p2pio" -c 16M -q 2 "$A_DISK" "$B_DISK"
expect_usage "device without a CMB" "has no P2P memory" "$bin/p2pio" --cdev "/dev/$B" "$A_DISK" "$B_DISK"
expect_usage "bad chunk" "not a multiple of 4096" "$bin/p2pio" -c 1000 "$A_DISK" "$B_DISK"
expect_usage "both -n and -D" "not both" "$bin/p2pio" -n 1 -D 1 "$A_DISK" "$B_DISK"
expect_usage "one device" "need SRC and DST" "$bin/p2pio" "$A_DISK"
