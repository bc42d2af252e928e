# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# 8 threads first-touch each fresh mapping at once, 1000 times: every mapping
# takes exactly its size from the pool once, and available ends where it began.
. "$(dirname "$0")/../lib.sh"
lab_devices
"$bin/p2pcheck" race --cdev "/dev/$A" --size 65536 --threads 8 --iterations 1000
