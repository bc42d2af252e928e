# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# The q35 host bridge is not on the P2PDMA allowlist: I/O between the CMB and
# the root-bus NVMe is refused with EREMOTEIO (EINVAL on >= 6.17) and C is untouched.
. "$(dirname "$0")/../lib.sh"
lab_devices
before=$(cat "$P2PMEM/available")
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size 1048576 --expect refused
expect_eq "p2pmem/available after munmap" "$(cat "$P2PMEM/available")" "$before"
