# make deb's package, the Debian way, and its life on a fresh Debian:
# lintian reports no error or warning on the .changes (the .deb, its
# -dbgsym and .buildinfo); the package holds the tools in /usr/sbin, their
# man pages and p2ptop-textfile.service running /usr/sbin/p2ptop, and
# Depends names the package of every library the tools link. apt-get
# installs it into a fresh debootstrap --variant=minbase chroot of this
# machine's release, taking its Depends from the archive, and does not
# enable the unit. In the lab guest, on each kernel of $DEB_KERNELS
# (default "patched debian"), p2pdoctor and p2ptop -b 1 1 run from inside
# the chroot and report the CMB provider (tests/vm/deb-chroot.sh). apt-get
# remove leaves none of the files dpkg -L listed, and purge nothing else,
# not even the link of an enablement made after install.
#
# Needs root and the Debian archive that apt's own sources name (its URI is
# read from there). The minbase chroot is downloaded once per archive,
# release, architecture and debootstrap version, and kept as a tarball in
# ~/.cache/p2pscope; each run unpacks a fresh copy into build/, which the
# guest sees (its /tmp is its own).
set -euo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
took() { echo "time: $1 $((SECONDS - t0))s"; t0=$SECONDS; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, the lab)"
for p in dpkg-buildpackage lintian debootstrap unshare flock objdump; do
	command -v $p >/dev/null || fail "$p not found: run make deps"
done
kernels=${DEB_KERNELS-patched debian}
[ -n "${kernels// /}" ] || fail "DEB_KERNELS names no lab kernel"
tools=$(sed -n 's/^TOOLS *:= *//p' Makefile)
unit=p2ptop-textfile.service
work=$(mktemp -d)
root=
cleanup() {
	# nothing is mounted in the chroot here (mounts live in their own
	# namespace), and --one-file-system would not follow one that was
	[ -z "$root" ] || rm -rf --one-file-system "$root"
	rm -rf "$work"
}
trap cleanup EXIT
total=$SECONDS
t0=$SECONDS

# ---- the package ----
make -s --no-print-directory deb >"$work/deb.out" 2>&1 || { cat "$work/deb.out"; fail "make deb"; }
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb=build/p2pscope_${version}_$arch.deb
changes=build/p2pscope_${version}_$arch.changes
for f in "$deb" "$changes" "build/p2pscope_${version}_$arch.buildinfo" "build/p2pscope-dbgsym_${version}_$arch.deb"; do
	[ -s "$f" ] || fail "make deb did not write $f"
done
for f in "$deb" "$changes"; do
	[ ! -e "../${f##*/}" ] || fail "${f##*/} was also left in the tree's parent directory"
done
[ ! -e build/deb ] || fail "make deb left its build copy in build/deb"
ok "make deb wrote $deb, its -dbgsym, .buildinfo and .changes into build/"
took "make deb"

lintian --pedantic --display-info "$changes" >"$work/lintian" 2>&1 || true
sed -i '/^running with root privileges is not recommended!$/d' "$work/lintian"
sed 's/^/lintian: /' "$work/lintian"
# info (I:) and pedantic (P:) tags may stay; errors, warnings, anything else may not
! grep -qv '^[IP]: ' "$work/lintian" || fail "lintian: $(grep -v '^[IP]: ' "$work/lintian" | head -n 3 | paste -sd ' ')"
ok "lintian: no error or warning on the .changes, the .debs and the .buildinfo"
took lintian

# the files, exactly
want=$( {
	for t in $tools; do echo "./usr/sbin/$t"; echo "./usr/share/man/man8/$t.8.gz"; done
	echo ./usr/lib/systemd/system/$unit
	echo ./usr/share/doc/p2pscope/changelog.gz
	echo ./usr/share/doc/p2pscope/copyright
} | sort)
got=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sort)
[ "$got" = "$want" ] || fail "the package's files: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | paste -sd ' ')"
dpkg-deb -x "$deb" "$work/x"
for t in $tools; do [ "$(stat -c %a "$work/x/usr/sbin/$t")" = 755 ] || fail "/usr/sbin/$t is not 0755"; done
grep -qx "ExecStart=/usr/sbin/p2ptop -o openmetrics --textfile /var/lib/prometheus/node-exporter 15" \
	"$work/x/usr/lib/systemd/system/$unit" || fail "the package's $unit does not run /usr/sbin/p2ptop"
! grep -rq -e "$top" -e @SBINDIR@ "$work/x" || fail "a packaged file names the work tree or @SBINDIR@"
ok "the package holds $tools in /usr/sbin, their man pages and $unit running /usr/sbin/p2ptop"
# from an empty directory, with no work tree on PATH; the version is the package's
mkdir "$work/empty"
for t in $tools; do
	v=$(cd "$work/empty" && env -i PATH=/usr/bin:/bin "$work/x/usr/sbin/$t" --version) || fail "packaged $t --version failed"
	[ "$v" = "$t $version" ] || fail "packaged $t --version says '$v', the package is $version"
done
ok "the packaged tools run from an empty directory and say version $version"

# Depends: dh_shlibdeps' ${shlibs:Depends} names each linked library's package
depends=$(dpkg-deb -f "$deb" Depends)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
echo "Depends: $depends"
for lib in $(for t in $tools; do objdump -p "$work/x/usr/sbin/$t"; done | awk '$1 == "NEEDED" { print $2 }' | sort -u); do
	pkg=$( (dpkg -S "/lib/$ma/$lib" || dpkg -S "/usr/lib/$ma/$lib") 2>/dev/null | sed -n '1s/:.*//p')
	[ -n "$pkg" ] || fail "no installed package has $lib"
	grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends" || fail "Depends lacks $pkg (for $lib)"
done
ok "Depends names the package of every library the tools link"
ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
for s in postinst prerm postrm; do grep -qx "./$s" <<<"$ctrl" || fail "the package has no $s"; done
took "package checks"

# ---- a fresh chroot of this machine's release, from the cache ----
. "$top/scripts/debian-suite.sh"
uri=$(archive_uri) || fail "no Debian archive in /etc/apt/sources.list or sources.list.d"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || fail "/etc/os-release has no VERSION_CODENAME"
dbver=$(dpkg-query -W -f='${Version}' debootstrap)
cache=${P2PSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pscope}
key=$(printf '%s\n' "$uri" "$suite" "$arch" minbase "$dbver" | sha256sum | cut -c1-16)
tarball=$cache/chroot-$suite-minbase-$arch-$key.tar.gz
mkdir -p "$cache"
# Mounts for the chroot go in a mount namespace of their own, which takes
# them with it; where / is no mount point (this test itself run in a
# chroot, as a fresh-machine check does) there is none to make private, so
# they are made and undone here.
own_ns=(unshare --mount --propagation private --)
"${own_ns[@]}" true 2>/dev/null || own_ns=()
exec 9>"$cache/lock-chroot-$key"
flock 9
if [ ! -s "$tarball" ]; then
	echo "debootstrap --variant=minbase $suite from the machine's archive, into $tarball"
	d=$(mktemp -d "$cache/chroot-new.XXXXXX")
	# its /proc and /sys mounts stay in a namespace of their own
	"${own_ns[@]}" debootstrap --variant=minbase --arch="$arch" \
		"$suite" "$d" "$uri" >"$work/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$work/debootstrap.log"; rm -rf --one-file-system "$d"; fail "debootstrap $suite failed"; }
	chmod 0755 "$d"
	tar -C "$d" --numeric-owner -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf --one-file-system "$d"
	took debootstrap
fi
flock -u 9
root=$(mktemp -d "$top/build/deb-chroot.XXXXXX")
tar -C "$root" --numeric-owner -xzf "$tarball"
chmod 0755 "$root"
ok "a fresh $suite minbase chroot in ${root#"$top"/} (from ${tarball/#"$HOME"/\~})"
took "chroot unpack"

# in_root CMD...: CMD in the chroot with its own /proc and ptys (apt logs
# through one), in a mount namespace that takes the mounts with it
in_root() {
	"${own_ns[@]}" sh -c 'mount -t proc proc "$0/proc" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$0/dev/pts" || exit
		chroot "$0" "$@"; rc=$?; umount "$0/dev/pts" "$0/proc"; exit $rc' \
		"$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
# every path of the chroot, as its merged /usr spells it
paths() { (cd "$root" && find . -path ./proc -prune -o -path ./tmp -prune -o -printf '%p\n' | sed 's/^\.//' | sort); }
usr_merged() { sed -E 's#^/(bin|sbin|lib|lib32|lib64|libx32)(/|$)#/usr/\1\2#'; }
fresh=$(paths)
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root apt-get -q update >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get update in the chroot"; }
! grep -E '^[EW]: ' "$work/apt.log" || fail "apt-get update said the above"
in_root sh -c "cd /tmp && apt-get install -y --no-install-recommends ./${deb##*/}" >"$work/apt.log" 2>&1 ||
	{ tail -n 30 "$work/apt.log"; fail "apt-get install ./${deb##*/} in the chroot"; }
! grep -E -i '^[EW]: |error|warning' "$work/apt.log" || fail "apt-get install said the above"
added=$(awk '/^The following NEW packages will be installed:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on' "$work/apt.log" | xargs)
echo "apt-get installed: $added"
grep -qw p2pscope <<<"$added" || fail "apt-get did not install p2pscope"
[ "$added" != p2pscope ] || fail "apt-get installed no dependencies: the chroot had them all?"
expect_status() { # WHAT WANT
	local st
	st=$(in_root dpkg-query -W -f='${Status} ${Version}' p2pscope 2>/dev/null || true)
	[ "$st" = "$2" ] || fail "p2pscope $1: dpkg says '$st', want '$2'"
}
expect_status "installed" "install ok installed $version"
in_root dpkg -L p2pscope >"$work/listed"
[ -n "$(find "$root/etc/systemd" -name "$unit" 2>/dev/null)" ] && fail "installing enabled $unit"
ok "apt-get install ./${deb##*/} in the chroot: $(wc -l <"$work/listed") paths, $unit not enabled"
# the admin enables it, as systemctl enable would (WantedBy=multi-user.target):
# purge must take that link too
wants=/etc/systemd/system/multi-user.target.wants
mkdir -p "$root$wants"
ln -s "/usr/lib/systemd/system/$unit" "$root$wants/$unit"
took "apt-get install"

# ---- the tools, for real, in the guest ----
for k in $kernels; do
	start=$SECONDS
	tests/vm/run --kernel "$k" -- bash tests/vm/deb-chroot.sh "$root" >"$work/guest.out" 2>&1 ||
		{ cat "$work/guest.out"; fail "the chroot's tools on the $k kernel"; }
	sed 's/^/    /' "$work/guest.out"
	ok "p2pdoctor and p2ptop -b 1 1 from the chroot on the $k kernel"
	took "lab run ($k)"
done

# ---- remove, then purge ----
while read -r p; do
	[ "$p" = /. ] && continue
	if [ -d "$root$p" ] && [ ! -L "$root$p" ]; then echo "d $p"; else echo "f $p"; fi
done <"$work/listed" >"$work/kinds"
in_root apt-get remove -y p2pscope >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get remove p2pscope"; }
while read -r kind p; do
	case $kind in
	f) [ ! -e "$root$p" ] && [ ! -L "$root$p" ] || fail "apt-get remove left $p" ;;
	# a directory stays only if another package has it too
	d) [ ! -d "$root$p" ] || in_root dpkg-query -S "$p" >/dev/null 2>&1 ||
		fail "apt-get remove left the directory $p, which no package has" ;;
	esac
done <"$work/kinds"
ok "apt-get remove left none of the $(grep -c '^f' "$work/kinds") files dpkg -L listed"
in_root apt-get purge -y p2pscope >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get purge p2pscope"; }
[ ! -L "$root$wants/$unit" ] || fail "apt-get purge left the enablement link $wants/$unit"
st=$(in_root dpkg-query -W -f='${Status}' p2pscope 2>/dev/null || true)
case $st in ''|"unknown ok not-installed"|"purge ok not-installed") ;; *) fail "after purge dpkg says '$st'" ;; esac
# what is new since the fresh chroot: the dependencies' files and apt's and
# dpkg's own records, nothing of p2pscope's
for p in $added; do [ "$p" = p2pscope ] || in_root dpkg -L "$p"; done | usr_merged | sort -u >"$work/owned"
left=$(comm -13 <(echo "$fresh" | usr_merged | sort -u) <(paths | usr_merged | sort -u) | comm -23 - "$work/owned" |
	grep -Ev '^/(var/lib/(apt|dpkg)|var/cache/(apt|debconf|ldconfig)|var/log)(/|$)|^/etc/ld\.so\.cache$' || true)
[ -z "$left" ] || fail "after purge, new and no package's: $(echo "$left" | head -n 10 | paste -sd ' ')"
names="p2pscope|p2ptop|${tools// /|}"
named=$(paths | grep -E "$names" || true)
[ -z "$named" ] || fail "after purge, paths still named ($names): $(head -n 5 <<<"$named" | paste -sd ' ')"
ok "apt-get purge takes the enablement link and leaves nothing but the dependencies and apt's records"
took "remove and purge"
echo "time: total $((SECONDS - total))s"
