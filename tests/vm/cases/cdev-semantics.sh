# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# MAP_PRIVATE and non-zero offsets get EINVAL; a mapping bigger than the free
# CMB gets SIGBUS at first touch; memory another process wrote reads as zeros.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" einval --cdev "/dev/$A"
"$bin/p2pcheck" sigbus --cdev "/dev/$A"
"$bin/p2pcheck" zero --cdev "/dev/$A" --size 1048576
