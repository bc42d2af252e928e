# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# What distro kernels let a process do to a CMB mapping: MADV_DONTNEED keeps
# the memory and its bytes, MADV_REMOVE fails cleanly, MADV_DONTFORK and
# MADV_DOFORK keep it from, or share it with, a child; process_vm_readv()
# from another process gives the right bytes or a clean error. Nothing is
# allocated twice and everything comes back.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" madvise --cdev "/dev/$A" --size 1048576
"$bin/p2pcheck" vmread --cdev "/dev/$A" --size 1048576
