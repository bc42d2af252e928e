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
