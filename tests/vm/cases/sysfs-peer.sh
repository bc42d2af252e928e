# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# O_DIRECT between the CMB (sysfs p2pmem/allocate) and the peer under the same
# switch works in both directions with verified bytes; available comes back.
. "$(dirname "$0")/../lib.sh"
lab_devices
before=$(cat "$P2PMEM/available")
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size 1048576 --expect ok
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$A_DISK" --size 1048576 --offset 4194304 --expect ok
expect_eq "p2pmem/available after munmap" "$(cat "$P2PMEM/available")" "$before"
