# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# A CMB mapping is uncached, as the kernel's own mapping of the BAR is: every
# pte of it has PCD set in the page table dump of debugfs (x86 PAT), never
# write-back.
. "$(dirname "$0")/../lib.sh"
lab_devices
zcat /proc/config.gz | grep -q '^CONFIG_X86_PAT=y' || fail "the lab kernel has no X86_PAT"
grep -qw pat /proc/cpuinfo || fail "the guest CPU has no PAT"
"$bin/p2pcheck" cachemode --cdev "/dev/$A" --size 65536
