# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# mmap of /dev/nvmeN (the CMB) as an O_DIRECT buffer: allocation waits for the
# first fault, bytes are verified both ways with the peer under the switch and
# with the CMB's own namespace, and the root-bus NVMe is refused.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 1048576 --expect ok
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$A_DISK" --size 1048576 --offset 8388608 --expect ok
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size 1048576 --expect refused
