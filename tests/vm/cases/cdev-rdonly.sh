# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# Mapping the CMB takes memory, so it needs a writable open: an O_RDONLY open
# gets EACCES from mmap() and allocates nothing; a PROT_READ mapping of an
# O_RDWR open works.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" rdonly --cdev "/dev/$A" --size 1048576
