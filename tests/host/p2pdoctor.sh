# p2pdoctor on the build host itself, as root and as nobody: it runs without
# BPF, says in one line whether the kernel has P2PDMA (checked against the
# kernel's own config here) and how to fix it, names the devices as lspci
# does, shows the topology, and exits 1 unless every pair can do P2P.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=$top/build/p2pdoctor
[ -x "$doc" ] || { echo "FAIL: $doc is missing: run make"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# no BPF: not linked with libbpf
if ldd "$doc" | grep -q libbpf; then fail "p2pdoctor links libbpf"; fi
ok "p2pdoctor does not link libbpf"

# What the kernel's own config says, read here independently of p2pdoctor.
rel=$(uname -r)
if [ -r "/boot/config-$rel" ]; then
	cfg=$(grep -E '^(# )?CONFIG_PCI_P2PDMA[= ]' "/boot/config-$rel" || true)
	src=/boot/config-$rel
elif [ -r /proc/config.gz ]; then
	cfg=$(zcat /proc/config.gz | grep -E '^(# )?CONFIG_PCI_P2PDMA[= ]' || true)
	src=/proc/config.gz
else
	cfg=$(bpftool btf dump file /sys/kernel/btf/vmlinux | grep -o "STRUCT 'pci_p2pdma_pagemap'" || true)
	[ -z "$cfg" ] || cfg=CONFIG_PCI_P2PDMA=y
	src="BTF /sys/kernel/btf/vmlinux"
fi
[ "$cfg" = CONFIG_PCI_P2PDMA=y ] && p2pdma=1 || p2pdma=0
echo "this kernel ($rel): '${cfg:-CONFIG_PCI_P2PDMA absent}' from $src"

rc=0
"$doc" >"$work/out" 2>"$work/err" || rc=$?
cat "$work/out"
[ ! -s "$work/err" ] || { cat "$work/err"; fail "p2pdoctor wrote to stderr"; }
rcj=0
"$doc" -j >"$work/json" || rcj=$?
[ $rcj = $rc ] || fail "-j exits $rcj, text $rc"
python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$work/json" ||
	fail "-j is not valid UTF-8 JSON"
ok "-j is valid UTF-8 JSON"
jq -e '.checks | length == 9' "$work/json" >/dev/null || fail "JSON lacks the 9 kernel checks"
[ "$(jq -r '.checks[] | select(.name == "p2pdma") | .source' "$work/json")" = "$src" ] ||
	fail "the p2pdma check did not answer from $src"
ok "the p2pdma check says its source: $src"

if [ $p2pdma = 0 ]; then
	[ $rc = 1 ] || fail "exit $rc without P2PDMA, want 1"
	ok "exit 1 without P2PDMA"
	# one line says so, with the way to fix it
	n=$(grep -c 'CONFIG_PCI_P2PDMA is not set.*; fix: boot a kernel with CONFIG_PCI_P2PDMA=y' "$work/out" || true)
	[ "$n" -ge 1 ] || fail "no line says CONFIG_PCI_P2PDMA is not set with the fix"
	tail -n 1 "$work/out" | grep -q '^p2pdoctor: no P2PDMA on this kernel: CONFIG_PCI_P2PDMA is not set.*fix: boot a kernel with CONFIG_PCI_P2PDMA=y' ||
		fail "the verdict line does not say the kernel lacks P2PDMA and how to fix it"
	ok "the last line: $(tail -n 1 "$work/out")"
	[ "$(jq -r .kernel.p2pdma "$work/json")" = false ] || fail "JSON says the kernel has P2PDMA"
	[ "$(jq -r .summary.ok "$work/json")" = false ] || fail "JSON summary says ok"
else
	grep -q '^  ok    p2pdma ' "$work/out" || fail "the kernel has P2PDMA, p2pdoctor says not"
	want=$(jq -r 'if .summary.ok then 0 else 1 end' "$work/json")
	[ $rc = "$want" ] || fail "exit $rc, but the JSON summary says $want"
	ok "P2PDMA kernel: exit $rc agrees with the summary"
fi

# The topology is still shown, with lspci's names: every DMA-capable
# function lspci lists (storage, network, display, accelerators) is a row.
grep -q '^HOST BRIDGES' "$work/out" && grep -q '^DEVICES' "$work/out" || fail "no topology shown"
n=0
while read -r bdf cls _; do
	case $cls in 01*|02*|03*|12*|0b40|0c06) ;; *) continue ;; esac
	# "0000:00:02.0 Mass storage controller: Red Hat, Inc. Virtio ... (rev 01)"
	name=$(lspci -D -s "$bdf" | sed -e "s/^$bdf //" -e 's/ (rev [0-9a-f]*)$//' -e 's/ (prog-if [^)]*)//')
	row=$(grep "^  $bdf " "$work/out" | head -n 1)
	[ -n "$row" ] || fail "$bdf ($name) is not in DEVICES"
	case $row in *"$name") ;; *) fail "$bdf: '$row' does not end in lspci's '$name'" ;; esac
	n=$((n + 1))
done < <(lspci -D -n | awk '{ sub(":$", "", $2); print $1, $2 }')
ok "$n DMA-capable functions shown with lspci's names"
# the host bridge of every root bus, with its ID as lspci -n has it
for hb in $(jq -r '.host_bridges[] | select(.device) | .device' "$work/json"); do
	id=$(lspci -D -n -s "$hb" | awk '{ print $3 }')
	[ "$(jq -r --arg d "$hb" '.host_bridges[] | select(.device == $d) | .id' "$work/json")" = "$id" ] ||
		fail "host bridge $hb: ID is not lspci's $id"
	ok "host bridge $hb $id"
done

# Without root: the same verdict; config space beyond 64 bytes is unreadable.
rc2=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$doc" >"$work/user" 2>&1 || rc2=$?
[ $rc2 = $rc ] || { cat "$work/user"; fail "as nobody: exit $rc2, as root $rc"; }
[ "$(tail -n 1 "$work/user")" = "$(tail -n 1 "$work/out")" ] || fail "as nobody the verdict differs"
if [ "$(jq '.devices | length' "$work/json")" -gt 0 ]; then
	grep -q '^  warn  config_space limited .*fix: run as root' "$work/user" ||
		{ cat "$work/user"; fail "as nobody: no word that config space is limited"; }
fi
ok "as nobody: exit $rc2, same verdict, config space limited"

# Bad input: exit 2 and one line on stderr. Help, usage, version: exit 0.
expect_usage() { # WHAT PATTERN ARGS...
	local what=$1 pattern=$2 rc=0
	shift 2
	"$doc" "$@" >"$work/o" 2>"$work/e" || rc=$?
	[ $rc = 2 ] || { cat "$work/e"; fail "$what: exit $rc, want 2"; }
	[ "$(wc -l <"$work/e")" = 1 ] || { cat "$work/e"; fail "$what: want one line on stderr"; }
	grep -q -- "$pattern" "$work/e" || { cat "$work/e"; fail "$what: does not say '$pattern'"; }
	[ ! -s "$work/o" ] || fail "$what: wrote to stdout"
	ok "$what: $(cat "$work/e")"
}
expect_usage "unknown option" "option '--bogus' is unknown" --bogus
expect_usage "unknown short option" "option '-x' is unknown" -x
expect_usage "-d without a list" "option '-d' is unknown or lacks its value" -d
expect_usage "empty list" "empty device list" -d ,,
expect_usage "no such device" "'nvme99' is neither a PCI address nor an NVMe controller" -d nvme99
expect_usage "not a device name" "'../x' is neither" ../x
expect_usage "control bytes in an argument" "'.x1b\[31mx' is neither" "$(printf '\033[31mx')"
if grep -q "$(printf '\033')" "$work/e"; then fail "a raw escape byte on stderr"; fi
for a in --help -h --usage --version -V; do
	rc=0
	"$doc" $a >"$work/o" 2>"$work/e" || rc=$?
	[ $rc = 0 ] && [ -s "$work/o" ] && [ ! -s "$work/e" ] || fail "$a: exit $rc"
done
"$doc" --help | grep -q -- '--json' || fail "--help does not list --json"
"$doc" --usage | grep -q '^Usage: p2pdoctor' || fail "--usage is not a usage line"
[ "$("$doc" --version)" = "p2pdoctor 0.2" ] || fail "--version"
ok "--help, -h, --usage, --version, -V exit 0 on stdout"
