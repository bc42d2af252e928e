# p2pdoctor's command line on a fake machine (the lab's topology under
# $P2PSCOPE_SYSFS, with /proc, /boot and pci.ids of its own): exit status
# per named pairs, the pair matrix and reasons, JSON that stays valid UTF-8
# and text without control bytes when driver and device names are hostile;
# behind a translating IOMMU, the warning on BUS_ADDR pairs and the earlier
# faults of a fake kernel log on the provider's BAR.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=$top/build/p2pdoctor
[ -x "$doc" ] || { echo "FAIL: $doc is missing: run make"; exit 1; }
root=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "fake machine in $root"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# The lab: host bridge 00:00.0 (8086:29c0), root port 00:1c.0, switch
# 01:00.0 with ports 02:00.0 and 02:01.0, NVMe A 03:00.0 (CMB provider,
# nvme0) and B 04:00.0 (nvme1), NVMe C 00:04.0 (nvme2) on the root bus.
# B's driver has a name full of escapes and bad UTF-8; the pci.ids entry
# of C's device too.
python3 - "$root" <<'EOF'
import os, sys
root = sys.argv[1]
sysfs = root + "/sys"
def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)
def dev(path, vendor, device, cls, pcie_type):
    d = f"{sysfs}/devices/{path}"
    write(f"{d}/vendor", f"0x{vendor:04x}\n")
    write(f"{d}/device", f"0x{device:04x}\n")
    write(f"{d}/class", f"0x{cls:06x}\n")
    cfg = bytearray(4096)
    cfg[0:4] = vendor.to_bytes(2, "little") + device.to_bytes(2, "little")
    cfg[9:12] = cls.to_bytes(3, "little")
    cfg[0x0e] = 1 if cls >> 8 == 0x0604 else 0
    if pcie_type is not None:
        cfg[6] = 0x10; cfg[0x34] = 0x40; cfg[0x40] = 0x10; cfg[0x42] = 2 | pcie_type << 4
    write(f"{d}/config", bytes(cfg), "wb")
    bdf = path.rsplit("/", 1)[1]
    os.makedirs(f"{sysfs}/bus/pci/devices", exist_ok=True)
    os.symlink(d, f"{sysfs}/bus/pci/devices/{bdf}")
    return d
def driver(d, name):
    drv = os.fsencode(f"{sysfs}/bus/pci/drivers/") + name
    os.makedirs(drv, exist_ok=True)
    depth = d[len(sysfs) + 1:].count("/") + 1
    os.symlink(b"../" * depth + b"bus/pci/drivers/" + name, os.fsencode(d + "/driver"))
def nvme(d, name):
    os.makedirs(f"{d}/nvme/{name}", exist_ok=True)
    os.makedirs(f"{sysfs}/class/nvme/{name}", exist_ok=True)
    os.symlink(d, f"{sysfs}/class/nvme/{name}/device")
hb = "pci0000:00"
dev(f"{hb}/0000:00:00.0", 0x8086, 0x29c0, 0x060000, None)
rp = f"{hb}/0000:00:1c.0"; dev(rp, 0x8086, 0x29c9, 0x060400, 4)
up = f"{rp}/0000:01:00.0"; dev(up, 0x104c, 0x8232, 0x060400, 5)
dev(f"{up}/0000:02:00.0", 0x104c, 0x8233, 0x060400, 6)
dev(f"{up}/0000:02:01.0", 0x104c, 0x8233, 0x060400, 6)
a = dev(f"{up}/0000:02:00.0/0000:03:00.0", 0x1b36, 0x0010, 0x010802, 0)
b = dev(f"{up}/0000:02:01.0/0000:04:00.0", 0x1b36, 0x0010, 0x010802, 0)
c = dev(f"{hb}/0000:00:04.0", 0x1b36, 0x0011, 0x010802, 9)
dev(f"{hb}/0000:00:19.0", 0x8086, 0x10d3, 0x020000, 9)
for d, n in ((a, "nvme0"), (b, "nvme1"), (c, "nvme2")):
    nvme(d, n)
driver(a, b"nvme")
driver(c, b"nvme")
driver(b, b"nv\x1b[31mme\xff\xfe\x7f\xc2\x9b")
for f, v in (("size", "16777216\n"), ("available", "16711680\n"), ("published", "1\n"), ("allocate", "")):
    write(f"{a}/p2pmem/{f}", v)
write(f"{root}/pci.ids", b"1b36  Red Hat, Inc.\n\t0010  QEMU NVM Express Controller\n"
      b"\t0011  Evil \x1b]0;owned\x07 controller \xc3\x28 \xed\xa0\x80 end\n"
      b"8086  Intel Corporation\n\t29c0  82G33/G31/P35/P31 Express DRAM Controller\n", "wb")
write(f"{root}/proc/cpuinfo", "vendor_id\t: GenuineIntel\ncpu family\t: 6\n\n")
write(f"{root}/proc/kallsyms", "0000000000000000 T pci_mmap_p2pmem\n")
write(f"{root}/boot/config-6.12.57-fake", "CONFIG_ZONE_DEVICE=y\nCONFIG_PCI_P2PDMA=y\n")
EOF
export P2PSCOPE_SYSFS=$root/sys P2PSCOPE_PROC=$root/proc P2PSCOPE_BOOT=$root/boot
export P2PSCOPE_OSRELEASE=6.12.57-fake P2PSCOPE_PCI_IDS=$root/pci.ids
# the kernel log: empty for now, never the build host's
: >"$root/kmsg"
export P2PSCOPE_KMSG=$root/kmsg

# run NAME WANT-EXIT ARGS...: text and JSON of one invocation, both checked
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$doc" "$@" >"$root/$name.txt" 2>"$root/$name.err" || rc=$?
	[ $rc = "$want" ] || { cat "$root/$name.txt" "$root/$name.err"; fail "$name: exit $rc, want $want"; }
	[ ! -s "$root/$name.err" ] || { cat "$root/$name.err"; fail "$name: wrote to stderr"; }
	rc=0
	"$doc" -j "$@" >"$root/$name.json" || rc=$?
	[ $rc = "$want" ] || fail "$name -j: exit $rc, want $want"
	# strict: valid UTF-8, valid JSON
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' \
		"$root/$name.json" || fail "$name: -j is not valid UTF-8 JSON"
	# text: valid UTF-8 and no C0, DEL or C1 control characters but newlines
	python3 -c '
import sys, unicodedata
t = open(sys.argv[1], "rb").read().decode("utf-8")
bad = [c for c in t if c != "\n" and unicodedata.category(c) == "Cc"]
sys.exit(1 if bad else 0)' "$root/$name.txt" || fail "$name: control characters in the text"
	ok "$name: exit $want, JSON valid, text clean"
}
pair() { # NAME PROVIDER CLIENT JQ
	jq -r --arg p "$2" --arg c "$3" ".pairs[] | select(.provider == \$p and .client == \$c) | $4" \
		"$root/$1.json"
}

run all 1
cat "$root/all.txt"
[ "$(jq -c '[.providers, (.clients | length), (.pairs | length)]' "$root/all.json")" = '[["0000:03:00.0"],4,4]' ] ||
	fail "all: want one provider, 4 clients (3 NVMe, 1 Ethernet), 4 pairs"
[ "$(pair all 0000:03:00.0 0000:03:00.0 '"\(.map_type) \(.distance)"')" = "BUS_ADDR 0" ] || fail "A<->A"
[ "$(pair all 0000:03:00.0 0000:04:00.0 '"\(.map_type) \(.distance) \(.common_upstream)"')" = \
	"BUS_ADDR 4 0000:01:00.0" ] || fail "A<->B"
[ "$(pair all 0000:03:00.0 0000:00:04.0 '"\(.map_type) \(.p2p) \(.reason)"')" = \
	"NOT_SUPPORTED false no common upstream bridge; host bridge 8086:29c0 not on the allowlist" ] || fail "A<->C"
[ "$(jq -r '.summary | "\(.pairs) \(.cannot) \(.ok)"' "$root/all.json")" = "4 2 false" ] || fail "summary"
ok "pairs: A<->A BUS 0, A<->B BUS 4, A<->C and A<->Ethernet NOT_SUPPORTED"
# the matrix: one row per provider, a column per client
grep -q '^  nvme0          NOSUP       NOSUP       BUS 0       BUS 4 *$' "$root/all.txt" ||
	fail "no matrix row for nvme0"
grep -q '^p2pdoctor: 2 of 4 pairs cannot do P2P$' "$root/all.txt" || fail "verdict line"
ok "matrix and verdict line"
[ "$(jq -c '[.iommu_faults.readable, .iommu_faults.lines, .iommu_faults.faults, ([.pairs[].warning] | unique)]' "$root/all.json")" = \
	'[true,0,[],[null]]' ] || fail "no IOMMU: warnings or faults"
grep -q '^  none$' "$root/all.txt" || fail "no 'none' under IOMMU FAULTS"
ok "no IOMMU, empty log: no warning, no fault"

# named devices: their pairs only
run switch 0 -d nvme0,nvme1
[ "$(jq '.pairs | length' "$root/switch.json")" = 2 ] || fail "-d nvme0,nvme1: want A<->A and A<->B"
grep -q '^p2pdoctor: all 2 pairs can do P2P$' "$root/switch.txt" || fail "-d nvme0,nvme1: verdict"
run rootbus 1 -d 03:00.0 -d /dev/nvme2
[ "$(jq -c '[.pairs[].client]' "$root/rootbus.json")" = '["0000:03:00.0","0000:00:04.0"]' ] ||
	fail "-d 03:00.0 -d /dev/nvme2: pairs"
# no provider named: every provider with the named devices
run client 0 nvme1
[ "$(jq -c '[.pairs[] | [.provider, .client]]' "$root/client.json")" = '[["0000:03:00.0","0000:04:00.0"]]' ] ||
	fail "nvme1 alone: want the pair with the provider"
ok "named devices pick the pairs"

# hostile names: escaped in JSON, replaced in text, never raw
# (JSON escapes control characters and writes bytes that are not UTF-8 as
# the text \xNN; the text shows both as \xNN)
drv=$(jq -r '.devices[] | select(.bdf == "0000:04:00.0") | .driver' "$root/all.json")
[ "$drv" = "$(printf 'nv\033[31mme\\xff\\xfe\177\302\233')" ] || fail "B's driver in JSON: '$drv'"
grep -qF ' nv\x1b[31mme\xff\xfe\x7f\xc2\x9b ' "$root/all.txt" || fail "B's driver not made safe in the text"
name=$(jq -r '.devices[] | select(.bdf == "0000:00:04.0") | .name' "$root/all.json")
[ "$name" = "$(printf 'Red Hat, Inc. Evil \033]0;owned\007 controller \\xc3( \\xed\\xa0\\x80 end')" ] ||
	fail "C's name in JSON: '$name'"
grep -qF 'Red Hat, Inc. Evil \x1b]0;owned\x07 controller \xc3( \xed\xa0\x80 end' "$root/all.txt" ||
	fail "C's name in the text"
ok "hostile driver and device names: valid JSON, clean text"

# Every function behind a translating IOMMU (DMA-FQ; C's group DMA), A's CMB
# in BAR 2, and a kernel log with three faults by B on it, one elsewhere,
# and lines that only look like faults.
python3 - "$root" <<'PY'
import os, sys
root = sys.argv[1]
sysfs = root + "/sys"
for bdf in sorted(os.listdir(f"{sysfs}/bus/pci/devices")):
    g, t = (5, "DMA") if bdf == "0000:00:04.0" else (3, "DMA-FQ")
    os.makedirs(f"{sysfs}/kernel/iommu_groups/{g}", exist_ok=True)
    open(f"{sysfs}/kernel/iommu_groups/{g}/type", "w").write(t + "\n")
    dev = os.path.realpath(f"{sysfs}/bus/pci/devices/{bdf}")
    os.symlink(os.path.relpath(f"{sysfs}/kernel/iommu_groups/{g}", dev), dev + "/iommu_group")
a = os.path.realpath(f"{sysfs}/bus/pci/devices/0000:03:00.0")
open(a + "/resource", "w").write("0x00000000fe800000 0x00000000fe803fff 0x0000000000140204\n"
    "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
    "0x00000000fc000000 0x00000000fcffffff 0x000000000014220c\n")
open(root + "/kmsg", "wb").write(
    b"6,1,0,-;Linux version 6.12.57-fake\n"
    b"3,2,1,-;DMAR: DRHD: handling fault status reg 2\n"
    b"3,3,2,-;DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc000000 [fault reason 0x05] PTE Write access is not set\n"
    b"3,4,3,-;DMAR: [DMA Write NO_PASID] Request device [0000:04:00.0] fault addr 0xfc010000 [fault reason 0x05] PTE Write access is not set\n"
    b"3,5,4,-;DMAR: [DMA Read NO_PASID] Request device [00:04.0] fault addr 0x7f000000 [fault reason 0x06] PTE Read access is not set\n"
    b"3,6,5,-;DMAR: [DMA Read PASID 0x3] Request device [04:00.0] fault addr 0xfc020000 [fault reason 0x06] \x1b]0;owned\x07 \xff evil\n"
    b"3,7,6,-;DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xfc03\n")
PY
run iommu 0 -d nvme0,nvme1
cat "$root/iommu.txt"
[ "$(jq -r '.checks[] | select(.name == "iommu") | .value' "$root/iommu.json")" = translated ] || fail "iommu check"
for c in 0000:03:00.0 0000:04:00.0; do
	w=$(pair iommu 0000:03:00.0 $c .warning)
	case $w in
	"the IOMMU translates DMA of $c, but a BUS_ADDR mapping is not in its domain: the transfer works only if the fabric routes it inside the "*"(not in a VM with a vIOMMU, not where a switch forwards P2P upstream)"*"p2pio --verify --pattern --sysfs 0000:03:00.0 SRC DST"*"Fix: iommu=pt or an identity domain"*"a VM without a vIOMMU or with the devices passed through"*"allowlisted host bridge"*) ;;
	*) fail "A<->$c warning: '$w'" ;;
	esac
done
[ "$(grep -c '^ *warning: the IOMMU translates DMA of ' "$root/iommu.txt")" = 2 ] || fail "text: want a warning line per BUS_ADDR pair"
grep -q '^p2pdoctor: all 2 pairs can do P2P; 2 BUS_ADDR pairs behind a translating IOMMU: see their warning$' "$root/iommu.txt" ||
	fail "verdict line with warnings"
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; ok "$1 = $3"; }
expect "faults on A's BAR" "$(jq -c '[.iommu_faults.faults[] | [.device, .provider, .bar, .bar_start, .bar_end, .count]]' "$root/iommu.json")" \
	'[["0000:04:00.0","0000:03:00.0",2,"0xfc000000","0xfcffffff",3]]'
expect "the last of them" "$(jq -c '.iommu_faults.faults[0].last | [.iommu, .direction, .address, .reason, .pasid, .reason_text]' "$root/iommu.json")" \
	'["intel","read","0xfc020000",6,3,"\u001b]0;owned\u0007 \\xff evil"]'
expect "faults elsewhere, lines read" "$(jq -c '[.iommu_faults.other, .iommu_faults.lines, .iommu_faults.source]' "$root/iommu.json")" \
	"[1,7,\"$root/kmsg\"]"
expect "faults per pair" "$(jq -c '[.pairs[] | .iommu_faults]' "$root/iommu.json")" '[0,3]'
grep -q '^  0000:04:00.0  0000:03:00.0    2      3  read at 0xfc020000: \\x1b]0;owned\\x07 \\xff evil (DMAR fault reason 0x06)$' "$root/iommu.txt" ||
	fail "text: the fault line"
grep -q '^  1 other IOMMU fault, at addresses in no provider.s BAR$' "$root/iommu.txt" || fail "text: other faults"
grep -q 'faults: 3 earlier IOMMU faults by the client on the provider.s memory' "$root/iommu.txt" || fail "text: the pair's faults"
# the log unreadable: one line, and no counts made up
P2PSCOPE_KMSG=$root/no-log run nolog 0 -d nvme0,nvme1
expect "unreadable log" "$(jq -c '[.iommu_faults.readable, .iommu_faults.lines, .iommu_faults.other, ([.pairs[].iommu_faults] | unique)]' "$root/nolog.json")" \
	'[false,null,null,[null]]'
[ "$(grep -c 'kernel log not readable' "$root/nolog.txt")" = 1 ] || fail "no one line for the unreadable log"
grep -q "^  kernel log not readable ($root/no-log: No such file or directory): earlier IOMMU faults unknown" "$root/nolog.txt" ||
	fail "the unreadable log's line"
ok "translating IOMMU: a warning per BUS_ADDR pair, B's faults on A's BAR counted, the log's text escaped"
# identity domains: no warning
for g in 3 5; do echo identity >"$root/sys/kernel/iommu_groups/$g/type"; done
run passthrough 0 -d nvme0,nvme1
expect "warnings with identity domains" "$(jq -c '[.pairs[].warning]' "$root/passthrough.json")" '[null,null]'

# ACS P2P Request Redirect and Egress Control on B's downstream port
python3 - "$root/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:01.0/config" <<'PY'
import sys
cfg = bytearray(open(sys.argv[1], "rb").read())
cfg[0x100:0x104] = (0x0d | 1 << 16).to_bytes(4, "little")	# ACS, version 1, the last
cfg[0x104:0x108] = (0x7f | 0x24 << 16).to_bytes(4, "little")	# capabilities; control RR|EC
open(sys.argv[1], "wb").write(cfg)
PY
run acs 1 -v -d nvme0,nvme1
grep -q '^  0000:02:01.0 .* RR,EC ' "$root/acs.txt" || fail "-v: the port's ACS column is not RR,EC"
grep -q '^  0000:04:00.0 .* 0000:00 > 00:1c.0 > 01:00.0 > 02:01.0\* ' "$root/acs.txt" ||
	fail "B's path does not mark the port with *"
[ "$(pair acs 0000:03:00.0 0000:04:00.0 '"\(.map_type) \(.distance) \(.acs_redirect)"')" = \
	'NOT_SUPPORTED 4 ["0000:02:01.0"]' ] || fail "A<->B with ACS"
[ "$(pair acs 0000:03:00.0 0000:04:00.0 .reason)" = \
	"ACS P2P Request Redirect, P2P Egress Control set on 0000:02:01.0; host bridge 8086:29c0 not on the allowlist" ] ||
	fail "A<->B reason with ACS"
grep -q 'fix: boot with pci=disable_acs_redir=0000:02:01.0 for BUS_ADDR' "$root/acs.txt" || fail "no ACS fix"
ok "ACS redirect on a downstream port: shown on the port and in the path, A<->B refused, the fix"
python3 - "$root/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:01.0/config" <<'PY'
import sys
cfg = bytearray(open(sys.argv[1], "rb").read())
cfg[0x100:0x108] = bytes(8)	# no ACS again
open(sys.argv[1], "wb").write(cfg)
PY

# a config that says no while a p2pmem group exists belongs to another build
printf '# CONFIG_PCI_P2PDMA is not set\n' >"$root/boot/config-6.12.57-fake"
run stale 0 -d nvme0,nvme1
jq -r '.checks[0].source' "$root/stale.json" | grep -q 'says not set, but it must be another build' ||
	fail "a stale config is not called so"
# a kernel without P2PDMA (and so without p2pmem groups): exit 1 whatever
# the topology says, and why
mv "$root/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0/p2pmem" "$root/p2pmem"
run nop2pdma 1 -d nvme0,nvme1
tail -n 1 "$root/nop2pdma.txt" | grep -q '^p2pdoctor: no P2PDMA on this kernel: CONFIG_PCI_P2PDMA is not set: .*; fix: boot a kernel with CONFIG_PCI_P2PDMA=y' ||
	fail "no one-line verdict with the fix"
[ "$(jq -c '[(.pairs | length), .providers]' "$root/nop2pdma.json")" = '[0,[]]' ] || fail "pairs without a provider"
grep -q '^PROVIDERS' "$root/nop2pdma.txt" && grep -q "^  0000:04:00.0 " "$root/nop2pdma.txt" ||
	fail "no topology shown without P2PDMA"
ok "no P2PDMA: exit 1 with the reason and the fix"
