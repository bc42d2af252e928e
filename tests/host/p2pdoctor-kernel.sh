# p2pdoctor mirrors drivers/pci/p2pdma.c of Debian's linux-source-6.12:
# the functions tools/lib follows are unchanged since they were copied (a
# new upload that changes them fails here, for review, naming the file that
# mirrors it), and every entry of the
# kernel's pci_p2pdma_whitelist[] is honoured as the kernel does
# (REQ_SAME_HOST_BRIDGE too), on fake machines.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=$top/build/p2pdoctor
tarball=${P2PSCOPE_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
[ -x "$doc" ] || { echo "FAIL: $doc is missing: run make"; exit 1; }
[ -r "$tarball" ] || { echo "FAIL: $tarball not found: apt-get install linux-source-6.12"; exit 1; }
work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

tar -xf "$tarball" -C "$work" --strip-components=1 --wildcards '*/drivers/pci/p2pdma.c'
src=$work/drivers/pci/p2pdma.c
[ -s "$src" ] || fail "no drivers/pci/p2pdma.c in $tarball"

# The functions the verdict follows, as they were when tools/lib copied
# them, and the file that mirrors each (which must name it). Debian's
# linux-source-7.3 (7.3.4) has the same text for all but
# __host_bridge_whitelist (0edf9c2165951ab6 there: PCI_ANY_ID entries).
body() { # NAME: the function's definition, from its name to the closing brace
	awk -v f="$1" '!on && $0 ~ "^(static[^(]*[ *])?" f "\\(" { on = 1 } on { print } on && /^}/ { exit }' "$src"
}
while read -r fn want file; do
	grep -qE "(^|[^_])$fn\(\)" "$top/tools/lib/$file" || fail "tools/lib/$file does not name $fn()"
	[ -n "$(body "$fn")" ] || fail "$fn is gone from p2pdma.c"
	got=$(body "$fn" | sha256sum | cut -c1-16)
	[ "$got" = "$want" ] || fail "$fn changed in $(basename "$tarball") ($got): review tools/lib/$file"
	ok "$fn unchanged (tools/lib/$file)"
done <<'FUNCTIONS'
pci_bridge_has_acs_redir 2442b110f776880a topology.c
cpu_supports_p2pdma f700a6139c7d5d44 maptype.c
pci_host_bridge_dev 4a212d10f98823e3 allowlist.c
__host_bridge_whitelist a715165ae476905e allowlist.c
host_bridge_whitelist 4498b67ca3ff4195 maptype.c
calc_map_type_and_dist 37bd228a5145f43d maptype.c
FUNCTIONS

# The kernel's allowlist, one "VENDOR DEVICE FLAGS" line per entry
sed -n '/pci_p2pdma_whitelist\[\] = {/,/^};/p' "$src" |
	sed -n 's/^[[:space:]]*{\([A-Z_]*\),[[:space:]]*\(0x[0-9a-fA-F]*\),[[:space:]]*\([A-Z_0]*\)}.*/\1 \2 \3/p' |
	sed 's/^PCI_VENDOR_ID_INTEL /0x8086 /' >"$work/allowlist"
n=$(wc -l <"$work/allowlist")
[ "$n" -ge 10 ] || fail "found only $n allowlist entries in p2pdma.c"
if grep -v '^0x' "$work/allowlist"; then fail "an allowlist vendor this test does not know"; fi

# machine DIR VENDOR DEVICE: two root complexes whose first devices have
# that ID, each root bus with two NVMe functions (no common upstream device)
machine() {
	python3 - "$@" <<'PY'
import os, sys
root, vendor, device = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16)
assert root.startswith("/tmp/")
sysfs = root + "/sys"
def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)
def dev(path, v, d, cls, pcie):
    p = f"{sysfs}/devices/{path}"
    write(f"{p}/vendor", f"0x{v:04x}\n")
    write(f"{p}/device", f"0x{d:04x}\n")
    write(f"{p}/class", f"0x{cls:06x}\n")
    cfg = bytearray(4096)
    cfg[0:4] = v.to_bytes(2, "little") + d.to_bytes(2, "little")
    cfg[9:12] = cls.to_bytes(3, "little")
    cfg[6] = 0x10; cfg[0x34] = 0x40; cfg[0x40] = 0x10; cfg[0x42] = 2 | pcie << 4
    write(f"{p}/config", bytes(cfg), "wb")
    os.makedirs(f"{sysfs}/bus/pci/devices", exist_ok=True)
    os.symlink(p, f"{sysfs}/bus/pci/devices/{path.rsplit('/', 1)[1]}")
    return p
for bus in ("00", "40"):
    dev(f"pci0000:{bus}/0000:{bus}:00.0", vendor, device, 0x060000, 9)
    a = dev(f"pci0000:{bus}/0000:{bus}:04.0", 0x1b36, 0x0010, 0x010802, 9)
    dev(f"pci0000:{bus}/0000:{bus}:05.0", 0x1b36, 0x0010, 0x010802, 9)
    for f, v in (("size", "16777216\n"), ("available", "16777216\n"), ("published", "1\n")):
        write(f"{a}/p2pmem/{f}", v)
write(f"{root}/proc/cpuinfo", "vendor_id\t: GenuineIntel\ncpu family\t: 6\n\n")
write(f"{root}/boot/config-6.12.0", "CONFIG_ZONE_DEVICE=y\nCONFIG_PCI_P2PDMA=y\n")
PY
}
# verdict DIR PROVIDER CLIENT: the map type p2pdoctor predicts on a 6.12 kernel
verdict() {
	P2PSCOPE_SYSFS=$1/sys P2PSCOPE_PROC=$1/proc P2PSCOPE_BOOT=$1/boot P2PSCOPE_OSRELEASE=6.12.0 \
		"$doc" -j -d "$2,$3" |
		jq -r --arg p "$2" --arg c "$3" '.pairs[] | select(.provider == $p and .client == $c) | .map_type'
}
i=0
while read -r vendor device flags; do
	i=$((i + 1))
	m=$work/m$i
	machine "$m" "$vendor" "$device"
	# within one host bridge: allowed, whatever the flags
	[ "$(verdict "$m" 0000:00:04.0 0000:00:05.0)" = THRU_HOST_BRIDGE ] ||
		fail "$vendor:$device: P2P within its host bridge not allowed"
	# across two: only without REQ_SAME_HOST_BRIDGE
	case $flags in
	REQ_SAME_HOST_BRIDGE) want=NOT_SUPPORTED ;;
	0) want=THRU_HOST_BRIDGE ;;
	*) fail "$vendor:$device: flags '$flags' unknown to this test" ;;
	esac
	[ "$(verdict "$m" 0000:00:04.0 0000:40:04.0)" = $want ] ||
		fail "$vendor:$device ($flags): across host bridges, want $want"
	ok "$vendor:$device $flags: within its host bridge THRU_HOST_BRIDGE, across two $want"
done <"$work/allowlist"
# and a host bridge that is not on it
machine "$work/q35" 0x8086 0x29c0
[ "$(verdict "$work/q35" 0000:00:04.0 0000:00:05.0)" = NOT_SUPPORTED ] || fail "8086:29c0 allowed"
ok "8086:29c0 (q35): NOT_SUPPORTED"
ok "all $n entries of the 6.12 allowlist honoured"
