# lab: --cpu EPYC
# lab: --cpu EPYC --kernel debian
# An AMD Zen host bridge passes cpu_supports_p2pdma(): the root-bus NVMe works
# through the host bridge with verified bytes.
. "$(dirname "$0")/../lib.sh"
lab_devices
before=$(cat "$P2PMEM/available")
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size 1048576 --expect ok
expect_eq "p2pmem/available after munmap" "$(cat "$P2PMEM/available")" "$before"
