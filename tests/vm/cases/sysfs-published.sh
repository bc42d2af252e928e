# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# The CMB device is published as p2pmem with its full 16 MiB; the others are not providers.
. "$(dirname "$0")/../lib.sh"
lab_devices
expect_eq "p2pmem/size of $A_BDF" "$(cat "$P2PMEM/size")" 16777216
expect_eq "p2pmem/published of $A_BDF" "$(cat "$P2PMEM/published")" 1
avail=$(cat "$P2PMEM/available")
[ "$avail" -gt 0 ] && [ "$avail" -le 16777216 ] || fail "p2pmem/available is $avail"
ok "p2pmem/available = $avail"
n=$(ls -d /sys/bus/pci/devices/*/p2pmem 2>/dev/null | wc -l)
expect_eq "number of p2pmem providers" "$n" 1
