# tests/vm/run fails a run on a kernel report in the guest's dmesg. The
# IOMMU fault lines that the lab's vIOMMU cases expect (Intel DMAR, AMD-Vi)
# are no such report; real reports still are.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bad=0
fail() { echo "FAIL: $*"; bad=1; }
splat=$(sed -n "s/^splat='\(.*\)'$/\1/p" "$top/tests/vm/run")
[ -n "$splat" ] || { echo "FAIL: no splat= regex in tests/vm/run"; exit 1; }

while IFS= read -r line; do
	if grep -Eq "$splat" <<<"$line"; then fail "taken for a kernel report: $line"; else echo "ok: not a report: $line"; fi
done <<'LINES'
[   16.227049] DMAR: DRHD: handling fault status reg 2
[   16.227320] DMAR: [DMA Write NO_PASID] Request device [0000:04:00.0] fault addr 0xfc000000 [fault reason 0x05] PTE Write access is not set
[   16.233294] DMAR: [DMA Read NO_PASID] Request device [04:00.0] fault addr 0xfc010000 [fault reason 0x06] PTE Read access is not set
[   16.233294] DMAR: [DMA Write PASID 0x2] Request device [04:00.0] fault addr 0xfc010000 [fault reason 0x05] PTE Write access is not set
[    5.100000] AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:04:00.0 domain=0x0000 address=0xfc000000 flags=0x0020]
[    5.100000] nvme 0000:04:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000e address=0xfc000000 flags=0x0020]
LINES
while IFS= read -r line; do
	if grep -Eq "$splat" <<<"$line"; then echo "ok: a report: $line"; else fail "not taken for a kernel report: $line"; fi
done <<'LINES'
[   12.000000] WARNING: CPU: 0 PID: 1 at drivers/pci/p2pdma.c:100 pci_p2pdma_map_type+0x10/0x20
[   12.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000
[   12.000000] Oops: 0000 [#1] PREEMPT SMP NOPTI
LINES
exit $bad
