# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# Clearing a fresh 16 MiB CMB mapping at its first fault is killable and holds
# up nothing else: 8 threads first-touch it and SIGKILL, sent mid-fault,
# ends the process within 5 s with nothing leaked; and while one thread's
# first touch clears the CMB, another thread's mmap()/munmap() goes ahead.
. "$(dirname "$0")/../lib.sh"
lab_devices
size=16777216
avail=$(cat "$P2PMEM/available")
[ "$avail" -ge $size ] || fail "only $avail bytes of CMB free, need $size"
"$bin/p2pcheck" killfault --cdev "/dev/$A" --size $size --threads 8
"$bin/p2pcheck" stall --cdev "/dev/$A" --size $size
expect_eq "available at the end" "$(cat "$P2PMEM/available")" "$avail"
