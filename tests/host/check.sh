# tests/check itself: it runs tests side by side (-j), and every test it
# was asked for gets exactly one PASS or FAIL line, failures with their
# output and a summary line with their reason, whatever order they end in;
# bad options exit 2 with one line.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bad=0
fail() { echo "FAIL: $*"; bad=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for j in 0 x -1 ''; do
	err=$(tests/check -j "$j" unit/ 2>&1 >/dev/null)
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "-j '$j': exit $rc, stderr: $err"
done
tests/check --help | grep -q -- '-j N' || fail "--help does not describe -j"

# every unit test once, run three at a time
n=$(find tests/unit -name '*.c' | wc -l)
tests/check -j 3 unit/ >"$tmp/unit" 2>&1
rc=$?
[ $rc = 0 ] || fail "tests/check -j 3 unit/: exit $rc: $(tail -n 3 "$tmp/unit")"
[ "$(tail -n 1 "$tmp/unit")" = "$n passed, 0 failed" ] || fail "unit/ with -j 3 ended '$(tail -n 1 "$tmp/unit")', not '$n passed, 0 failed'"
for t in tests/unit/*.c; do
	c=$(grep -c "^PASS unit/$(basename "$t" .c) " "$tmp/unit")
	[ "$c" = 1 ] || fail "unit/$(basename "$t" .c): $c PASS lines"
done

# lab runs that cannot boot (a kernel directory without a bzImage) fail at
# once, each with tests/vm/run's reason, and no kernel is built for them
mkdir "$tmp/nokernel"
P2PSCOPE_KERNEL_DIR=$tmp/nokernel timeout 120 tests/check -j 2 vm/kernel-config vm/kernel-symbols \
	>"$tmp/vm" 2>&1
rc=$?
[ $rc = 1 ] || fail "two unbootable lab runs: exit $rc, not 1"
[ "$(tail -n 1 "$tmp/vm")" = "0 passed, 2 failed" ] || fail "two unbootable lab runs ended '$(tail -n 1 "$tmp/vm")'"
for t in kernel-config kernel-symbols; do
	grep -q "^FAIL vm/$t " "$tmp/vm" || fail "no FAIL line for vm/$t"
done
[ "$(grep -c "^    | tests/vm/run: no bzImage in $tmp/nokernel" "$tmp/vm")" = 2 ] || fail "the failures do not show tests/vm/run's reason: $(cat "$tmp/vm")"
# and the summary names each failure with that reason, one line each
for t in kernel-config kernel-symbols; do
	grep -qx "  vm/$t: tests/vm/run: no bzImage in $tmp/nokernel" "$tmp/vm" ||
		fail "the summary does not give vm/$t's reason: $(tail -n 4 "$tmp/vm")"
done
grep -q "^kernel " "$tmp/vm" && fail "a kernel was built or looked up with P2PSCOPE_KERNEL_DIR set"

[ $bad = 0 ] && echo "ok: tests/check -j: every test once, failures with their reasons, bad options exit 2"
exit $bad
