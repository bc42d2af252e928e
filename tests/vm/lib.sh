# Guest-side helpers for lab cases (sourced by bash in the guest).
# The lab topology names its NVMe devices by serial: p2p0 has the CMB and sits
# under the switch with p2p1; p2p2 is on the root bus.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$top/build

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# nvme_ctrl SERIAL: the controller name (nvmeN) with that serial
nvme_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		if [ "$(tr -d ' ' <"$c/serial")" = "$1" ]; then
			echo "${c##*/}"
			return 0
		fi
	done
	fail "no NVMe controller with serial $1"
}

# nvme_bdf CTRL: the controller's PCI address
nvme_bdf() { basename "$(readlink -f "/sys/class/nvme/$1/device")"; }

# nvme_disk CTRL: the block device of the controller's first namespace
nvme_disk() {
	local ns
	for ns in "/sys/class/nvme/$1/$1"n*; do
		[ -e "$ns" ] && { echo "/dev/${ns##*/}"; return 0; }
	done
	fail "$1 has no namespace"
}

# The lab's devices, by role.
lab_devices() {
	A=$(nvme_ctrl p2p0); B=$(nvme_ctrl p2p1); C=$(nvme_ctrl p2p2)
	A_BDF=$(nvme_bdf "$A"); B_BDF=$(nvme_bdf "$B"); C_BDF=$(nvme_bdf "$C")
	B_DISK=$(nvme_disk "$B"); C_DISK=$(nvme_disk "$C")
	A_DISK=$(nvme_disk "$A")
	P2PMEM=/sys/bus/pci/devices/$A_BDF/p2pmem
}

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; ok "$1 = $3"; }

# What differs between the lab's kernels (patched and stock 6.12, Debian's
# 7.x), asked of the running kernel, so one case asserts the same workload
# on each: from 6.17 nvme maps requests with the DMA iterator, so a refused
# request is decided once (not twice: 6.12 offers it to nvme_queue_rqs()
# and then nvme_queue_rq()) and fails with EINVAL (not EREMOTEIO).
kernel_at_least() { # MAJOR MINOR
	local v
	v=$(uname -r | awk -F'[.-]' '{ print $1 * 1000 + $2 }')
	[ "$v" -ge $(($1 * 1000 + $2)) ]
}
refused_errno() { if kernel_at_least 6 17; then echo EINVAL; else echo EREMOTEIO; fi; }
decisions_per_refusal() { if kernel_at_least 6 17; then echo 1; else echo 2; fi; }
# our series: the p2pdma trace events and the CMB mmap
has_our_series() { [ -e /sys/kernel/tracing/events/p2pdma ]; }
# the map-type hook p2ptrace -v should show on this kernel
expected_map_hook() {
	if has_our_series; then echo tp_btf/p2pdma_map_type
	elif kernel_at_least 6 19; then echo fexit/pci_p2pdma_map_type
	elif kernel_at_least 6 16; then echo fexit/__pci_p2pdma_update_state
	else echo fexit/pci_p2pdma_map_segment
	fi
}

# unbind_provider SECONDS [NOTE]: unbind the CMB's device (A) from nvme; the
# write must return within SECONDS, whatever still uses its memory
unbind_provider() {
	local start flag
	flag=$(mktemp -u)
	start=$(date +%s%N)
	(echo "$A_BDF" >/sys/bus/pci/drivers/nvme/unbind && touch "$flag") &
	for _ in $(seq $(($1 * 10))); do [ -e "$flag" ] && break; sleep 0.1; done
	[ -e "$flag" ] || fail "unbind of $A_BDF did not return within $1 s"
	ok "unbind returned in $((($(date +%s%N) - start) / 1000000)) ms${2:+ $2}"
}

# rebind_provider AVAIL0 SECONDS: bind A again within SECONDS; the whole pool
# (AVAIL0 bytes) comes back and a P2P copy to the peer works (from the
# nvme char device with our series, else from p2pmem/allocate)
rebind_provider() {
	echo "$A_BDF" >/sys/bus/pci/drivers/nvme/bind
	for _ in $(seq $(($2 * 10))); do [ -e "$P2PMEM/available" ] && break; sleep 0.1; done
	# the driver takes its queues from the CMB again during probe
	for _ in $(seq 100); do [ "$(cat "$P2PMEM/available" 2>/dev/null)" = "$1" ] && break; sleep 0.1; done
	expect_eq "available after rebind" "$(cat "$P2PMEM/available")" "$1"
	lab_devices
	local mem=(--sysfs "$A_BDF")
	! has_our_series || mem=(--cdev "/dev/$A")
	"$bin/p2pcheck" copy "${mem[@]}" --disk "$B_DISK" --size 1048576 --expect ok
}

# diskstat DISK: the block layer's own counts for the disk, "reads
# read-merges writes write-merges": a request the layer merged from two
# I/Os is one request, so tools that count requests are checked with these
diskstat() { awk '{ print $1, $2, $5, $6 }' "/sys/block/${1#/dev/}/stat"; }

# IOMMU faults the Intel driver logged (dmar_fault_do_one()): the lines, and
# their count once no more arrive (they are printed from an interrupt, and
# QEMU's vIOMMU reports them a little after the DMA).
dmar_fault_lines() { dmesg | grep -E 'DMAR: \[DMA (Read|Write) ' || true; }
dmar_faults_settled() {
	local n=-1 m
	for _ in $(seq 20); do
		m=$(dmar_fault_lines | wc -l)
		[ "$m" = "$n" ] && [ "$m" != 0 ] && break
		n=$m
		sleep 0.5
	done
	dmar_fault_lines | wc -l
}
# bar_range BDF N: "START END" of BAR N from sysfs resource, in decimal
bar_range() {
	local start end
	read -r start end _ < <(sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource")
	echo $((start)) $((end))
}
