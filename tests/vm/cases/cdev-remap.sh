# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# Memory comes back to the pool when munmap() or a child's exit returns: 100
# times, the whole pool is mapped and touched right after munmap() of the
# last mapping of it, then right after waitpid() for a child that held it,
# with no wait in between (an earlier kernel returned it after an RCU grace
# period, and the second touch got SIGBUS).
. "$(dirname "$0")/../lib.sh"
lab_devices
rounds=100
"$bin/p2pcheck" remap --cdev "/dev/$A" --iterations $rounds
"$bin/p2pcheck" remap --cdev "/dev/$A" --iterations $rounds --child
