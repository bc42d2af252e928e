# lab: --cpu EPYC
# lab: --cpu EPYC --kernel debug
# Through an allowed host bridge, the CMB mapping works with the root-bus NVMe.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size 1048576 --expect ok
