# Guest side of "make demo": show the lab's P2PDMA devices and move real
# bytes between the CMB and its peer.
. "$(dirname "$0")/lib.sh"
lab_devices

echo "P2PDMA providers (p2pmem):"
for d in /sys/bus/pci/devices/*/p2pmem; do
	bdf=$(basename "$(dirname "$d")")
	printf '  %s  size %s  available %s  published %s\n' "$bdf" \
		"$(cat "$d/size")" "$(cat "$d/available")" "$(cat "$d/published")"
done
echo "NVMe controllers:"
for c in "$A" "$B" "$C"; do
	printf '  %-6s %s serial %s\n' "$c" "$(nvme_bdf "$c")" "$(tr -d ' ' <"/sys/class/nvme/$c/serial")"
done
echo
echo "CMB of $A <-> $B_DISK (same switch):"
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size 1048576 --expect ok
echo
echo "CMB of $A <-> $C_DISK (root bus, host bridge not whitelisted):"
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size 1048576 --expect refused
