# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# On kernels without our series (stock 6.12, Debian's 7.x) p2pio finds no
# CMB mmap and uses the sysfs p2pmem/allocate buffer, with the same verified
# copy and fallbacks (EREMOTEIO on 6.12, EINVAL on 7.x, both refusals). B's
# disk starts as zeros, so --pattern gives it data that proves the copy.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
"$bin/p2pio" -j -v -n 64 --verify --pattern "$B_DISK" "$C_DISK" >"$work/io.json" 2>"$work/err"
cat "$work/err" "$work/io.json"
grep -q "cannot be mapped (No such device): using sysfs" "$work/err" || fail "no word of the sysfs fallback"
expect_eq "B -> C on stock" "$(jq -M -c '[.chunks, .p2p_ios, .fallbacks, .verified, .zero_chunks, .proven, .buffer]' "$work/io.json")" \
	"[64,64,64,64,0,true,\"sysfs:$A_BDF\"]"
