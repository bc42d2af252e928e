# The guest's half of tests/host/deb.sh: the p2pscope package as apt
# installed it into the chroot DIR on the host (seen here at the same path,
# read-only) runs for real from inside it, with nothing of the work tree:
# p2pdoctor finds the lab's CMB provider and judges its pairs, p2ptop -b 1 1
# loads its BPF programs and reports the provider.
#
# usage (in the guest): bash tests/vm/deb-chroot.sh DIR
. "$(dirname "$0")/lib.sh"
root=${1:?usage: deb-chroot.sh DIR}
lab_devices
work=$(mktemp -d)
[ -x "$root/usr/sbin/p2ptop" ] || fail "$root/usr/sbin/p2ptop is missing: not the chroot the package went into"

# the kernel's file systems (tracefs, debugfs and bpffs are under /sys), and
# scratch space on the read-only share
mount --bind /proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
# only the chroot's programs and libraries, and none of our environment
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

for t in p2pdoctor p2ptop; do
	expect_eq "the chroot's $t" "$(in_root sh -c "command -v $t")" "/usr/sbin/$t"
	expect_eq "its package" "$(in_root dpkg -S "/usr/sbin/$t")" "p2pscope: /usr/sbin/$t"
done

# every pair: A<->C crosses the q35 host bridge, which is not allowed
rc=0
in_root p2pdoctor >"$work/doctor" 2>&1 || rc=$?
cat "$work/doctor"
expect_eq "p2pdoctor's status (A<->C cannot do P2P)" $rc 1
grep -q "^PROVIDERS" "$work/doctor" || fail "p2pdoctor printed no PROVIDERS section"
sed -n '/^PROVIDERS/,/^$/p' "$work/doctor" | grep "$A_BDF" >/dev/null || fail "p2pdoctor's providers do not name $A_BDF"
ok "p2pdoctor names the CMB provider $A_BDF"
rc=0
in_root p2pdoctor -j >"$work/doctor.json" || rc=$?
expect_eq "p2pdoctor -j's status" $rc 1
expect_eq "p2pdoctor -j's providers" "$(jq -c .providers "$work/doctor.json")" "[\"$A_BDF\"]"
expect_eq "p2pdoctor -j: A<->B" \
	"$(jq -r --arg p "$A_BDF" --arg c "$B_BDF" '.pairs[] | select(.provider == $p and .client == $c) | .map_type' "$work/doctor.json")" \
	BUS_ADDR
# tracefs reached the chroot with /sys: our series' events are seen there
want="info no"
! has_our_series || want="ok yes"
expect_eq "p2pdoctor -j's tracepoints check" \
	"$(jq -r '.checks[] | select(.name == "tracepoints") | "\(.status) \(.value)"' "$work/doctor.json")" "$want"
rc=0
in_root p2pdoctor -d "$A,$B" >"$work/doctor-ab" 2>&1 || rc=$?
expect_eq "p2pdoctor -d $A,$B's status (the switch pair can)" $rc 0

# p2ptop: its BPF skeleton is in the binary; it needs BTF and the tracing
# and BPF file systems under /sys
rc=0
in_root p2ptop -b 1 1 >"$work/top" 2>"$work/top.err" || rc=$?
cat "$work/top" "$work/top.err"
expect_eq "p2ptop -b 1 1's status" $rc 0
grep -q "^$A_BDF $A " "$work/top" || fail "p2ptop -b 1 1 has no line for $A_BDF ($A)"
ok "p2ptop -b 1 1 reports the provider $A_BDF ($A)"
