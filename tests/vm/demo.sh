# Guest side of "make demo": the lab's P2PDMA devices, then real P2P copies
# between the CMB and its peers, traced by p2ptrace.
. "$(dirname "$0")/lib.sh"
lab_devices

echo "== P2PDMA providers (sysfs p2pmem)"
for d in /sys/bus/pci/devices/*/p2pmem; do
	bdf=$(basename "$(dirname "$d")")
	printf '  %s  size %s  available %s  published %s\n' "$bdf" \
		"$(cat "$d/size")" "$(cat "$d/available")" "$(cat "$d/published")"
done
echo "== NVMe controllers"
for c in "$A" "$B" "$C"; do
	printf '  %-6s %s serial %s\n' "$c" "$(nvme_bdf "$c")" "$(tr -d ' ' <"/sys/class/nvme/$c/serial")"
done

trace=$(mktemp)
"$bin/p2ptrace" -e alloc,close,map,io,fallback >"$trace" 2>/dev/null &
tracer=$!
sleep 2
echo
echo "== 1 MiB of $A's CMB (mmap /dev/$A) <-> $B_DISK, under the same switch"
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 1048576 --expect ok
echo
echo "== the same with $C_DISK, on the root bus (the q35 host bridge is not allowed)"
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$C_DISK" --size 1048576 --expect refused
sleep 0.5
kill -INT $tracer
wait $tracer
echo
echo "== p2ptrace -e alloc,close,map,io,fallback during the copies"
cat "$trace"
cat <<'TXT'

What you saw: the CMB of the first NVMe is P2P memory. Mapped into the
process and given to O_DIRECT, the peer under the same PCIe switch moved the
bytes straight into and out of it (map type BUS: PCI bus addresses through
the switch). The NVMe on the root bus would have to go through the host
bridge, which this CPU model is not trusted for, so the kernel refused the
mapping (NOSUP) and the I/O failed with EREMOTEIO: a fallback.
TXT
