# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# The char device's permissions apply: a non-root user cannot map the CMB.
. "$(dirname "$0")/../lib.sh"
lab_devices
ls -l "/dev/$A"
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2pcheck" denied --cdev "/dev/$A"
