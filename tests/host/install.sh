# make install and make uninstall into a DESTDIR on the build host: the
# tools, man pages and systemd unit land under PREFIX (default /usr/local),
# the unit names the installed p2ptop and passes systemd-analyze verify,
# the installed tools run from outside the tree, and uninstall leaves the
# tree exactly as it was: directories that were there before stay, ones a
# foreign file now lives in stay, and an enabled unit stops it. With an
# empty MANIFEST (the Debian package) nothing is recorded.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bad=0
fail() { echo "FAIL: $*"; bad=1; }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tools=$(sed -n 's/^TOOLS *:= *//p' "$top/Makefile")
unit=p2ptop-textfile.service

snapshot() { (cd "$1" && find . -printf '%y %m %p\n' | sort); }
inst() { make -s -C "$top" --no-print-directory "$@" >"$tmp/make.out" 2>&1; }

# a DESTDIR that already has some of the directories, and a foreign file
D=$tmp/root
mkdir -p "$D/usr/local/sbin" "$D/usr/local/share/man/man1" "$D/etc"
echo foreign >"$D/usr/local/sbin/other-tool"
before=$(snapshot "$D")

inst install DESTDIR="$D" || { cat "$tmp/make.out"; fail "make install"; exit 1; }
for t in $tools; do
	f=$D/usr/local/sbin/$t
	[ -f "$f" ] && [ "$(stat -c %a "$f")" = 755 ] || fail "$t not installed 0755 in sbin"
	cmp -s "$f" "$top/build/$t" || fail "installed $t differs from build/$t"
	m=$D/usr/local/share/man/man8/$t.8
	[ -f "$m" ] && [ "$(stat -c %a "$m")" = 644 ] || fail "$t.8 not installed 0644 in share/man/man8"
	# from outside the tree, found through the installed man path
	v=$(cd / && "$f" --version) || fail "installed $t --version failed"
	[ "$v" = "$t 0.2" ] || fail "installed $t --version: $v"
	w=$(MANPATH=$D/usr/local/share/man man -w "$t" 2>/dev/null)
	[ "$w" = "$m" ] || fail "man -w $t with the installed MANPATH: '$w'"
done
ok "installed $tools with their man pages"

u=$D/usr/local/lib/systemd/system/$unit
[ -f "$u" ] && [ "$(stat -c %a "$u")" = 644 ] || fail "$unit not installed 0644 in lib/systemd/system"
expect_line() { grep -qx -- "$2" "$1" || fail "$(basename "$1") lacks '$2'"; }
expect_line "$u" "ExecStart=/usr/local/sbin/p2ptop -o openmetrics --textfile /var/lib/prometheus/node-exporter 15"
expect_line "$u" "Restart=on-failure"
expect_line "$u" "RestartPreventExitStatus=2"
expect_line "$u" "KillSignal=SIGTERM"
expect_line "$u" "WantedBy=multi-user.target"
grep -q "$tmp" "$u" && fail "$unit names the DESTDIR"
grep -q @ "$u" && fail "$unit has an unreplaced @VARIABLE@"
# systemd checks the unit; its p2ptop must exist, so point it into DESTDIR
mkdir "$tmp/verify"
sed "s|^ExecStart=/usr/local/sbin/|ExecStart=$D/usr/local/sbin/|" "$u" >"$tmp/verify/$unit"
out=$(systemd-analyze verify --man=no "$tmp/verify/$unit" 2>&1)
rc=$?
[ $rc = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify $unit: exit $rc: $out"
ok "$unit runs the installed p2ptop and passes systemd-analyze verify"

# again over it, then away: the tree is as it was
inst install DESTDIR="$D" || fail "second make install: $(cat "$tmp/make.out")"
inst uninstall DESTDIR="$D" || fail "make uninstall: $(cat "$tmp/make.out")"
after=$(snapshot "$D")
[ "$before" = "$after" ] || fail "uninstall left the tree changed: $(diff <(echo "$before") <(echo "$after"))"
ok "uninstall after two installs leaves the tree exactly as before"
inst uninstall DESTDIR="$D" && fail "a second uninstall succeeded"
grep -q "nothing installed" "$tmp/make.out" || fail "a second uninstall did not say why: $(cat "$tmp/make.out")"

# a directory install made that now holds a foreign file stays, and is named
inst install DESTDIR="$D" || fail "make install: $(cat "$tmp/make.out")"
echo x >"$D/usr/local/lib/systemd/system/other.service"
inst uninstall DESTDIR="$D" || fail "make uninstall with a foreign unit: $(cat "$tmp/make.out")"
[ -f "$D/usr/local/lib/systemd/system/other.service" ] || fail "uninstall removed a foreign file"
[ ! -e "$u" ] || fail "uninstall left $unit"
grep -q "kept /usr/local/lib/systemd/system" "$tmp/make.out" || fail "uninstall did not say what it kept"
rm -r "$D/usr/local/lib"
[ "$before" = "$(snapshot "$D")" ] || fail "uninstall with a foreign file removed more than ours"
ok "a directory holding a foreign file is kept, and said"

# an enabled unit: uninstall refuses and removes nothing
inst install DESTDIR="$D" || fail "make install: $(cat "$tmp/make.out")"
mkdir -p "$D/etc/systemd/system/multi-user.target.wants"
ln -s "/usr/local/lib/systemd/system/$unit" "$D/etc/systemd/system/multi-user.target.wants/$unit"
inst uninstall DESTDIR="$D" && fail "uninstall went ahead with the unit enabled"
grep -q "systemctl disable --now $unit" "$tmp/make.out" || fail "uninstall did not say to disable: $(cat "$tmp/make.out")"
[ -f "$u" ] || fail "a refused uninstall removed files"
rm -r "$D/etc/systemd"
inst uninstall DESTDIR="$D" || fail "make uninstall: $(cat "$tmp/make.out")"
[ "$before" = "$(snapshot "$D")" ] || fail "uninstall after disabling left the tree changed"
ok "uninstall refuses while $unit is enabled"

# another PREFIX into an empty DESTDIR
D2=$tmp/usr
mkdir "$D2"
inst install DESTDIR="$D2" PREFIX=/usr || fail "make install PREFIX=/usr: $(cat "$tmp/make.out")"
for t in $tools; do [ -x "$D2/usr/sbin/$t" ] || fail "PREFIX=/usr: no /usr/sbin/$t"; done
grep -qx "ExecStart=/usr/sbin/p2ptop -o openmetrics --textfile /var/lib/prometheus/node-exporter 15" \
	"$D2/usr/lib/systemd/system/$unit" || fail "PREFIX=/usr: the unit does not run /usr/sbin/p2ptop"
inst uninstall DESTDIR="$D2" PREFIX=/usr || fail "make uninstall PREFIX=/usr: $(cat "$tmp/make.out")"
[ -z "$(ls -A "$D2")" ] || fail "PREFIX=/usr: uninstall left $(cd "$D2" && find . | tail -n +2)"
ok "PREFIX=/usr installs into /usr/sbin and /usr/lib/systemd/system, and uninstalls to nothing"

# the Debian package's way: no record (dpkg keeps the list), and no uninstall
D3=$tmp/pkg
mkdir "$D3"
inst install DESTDIR="$D3" PREFIX=/usr MANIFEST= || fail "make install MANIFEST=: $(cat "$tmp/make.out")"
[ ! -e "$D3/usr/share/p2pscope" ] || fail "MANIFEST= still wrote $(cd "$D3" && find usr/share/p2pscope)"
for t in $tools; do [ -x "$D3/usr/sbin/$t" ] || fail "MANIFEST=: no /usr/sbin/$t"; done
inst uninstall DESTDIR="$D3" PREFIX=/usr MANIFEST= && fail "make uninstall MANIFEST= went ahead"
grep -q "MANIFEST is empty" "$tmp/make.out" || fail "make uninstall MANIFEST= did not say why: $(cat "$tmp/make.out")"
[ -x "$D3/usr/sbin/p2ptop" ] || fail "a refused uninstall removed files"
ok "MANIFEST= installs without a record, and uninstall then refuses"
exit $bad
