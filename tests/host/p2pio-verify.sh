# p2pio --verify never calls a copy of zeros proven, and --pattern makes
# the data that proves one: the options parse as documented (bad ones exit
# 2 with one line), and on two loop devices here, copied through host
# memory (--host: no P2P needed), zeros are said and exit 3, the pattern
# is verified (exit 0), differs every run and every 8 bytes, and covers
# exactly the range copied. (A copy that is dropped, the case --pattern is
# for, needs the lab's vIOMMU: tests/vm/cases/p2pio-pattern-iommu.sh.)
# Needs root for the loop devices (as make check runs).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
io=$top/build/p2pio
bad=0
fail() { echo "FAIL: $*"; bad=1; }
ok() { echo "ok: $*"; }
[ -x "$io" ] || { echo "FAIL: $io is missing: run make"; exit 1; }

# usage_error WHAT PATTERN CMD...: exit 2 and one line on stderr matching PATTERN
usage_error() {
	local what=$1 pattern=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <<<"$err")" != 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
		fail "$what: exit $rc, stderr: $err"
	else
		ok "$what: $err"
	fi
}
usage_error "--pattern without --verify" "--pattern is for --verify" "$io" --pattern /dev/null /dev/null
usage_error "--pattern takes no value" "option '--pattern=1'" "$io" --pattern=1 --verify /dev/null /dev/null
# accepted: parsing goes on to the devices
usage_error "--verify --pattern parse" "not a block device" "$io" --verify --pattern /dev/null /dev/null
usage_error "--pattern --verify in any order" "not a block device" "$io" --pattern --verify -n 4 /dev/null /dev/null
"$io" --help | grep -q -- "--pattern .*With --verify: first overwrite SRC's range" || fail "--help lacks --pattern"
"$io" --help | grep -q "3 when every chunk was equal but some of SRC's were all zeros" ||
	fail "--help lacks exit status 3"

[ "$(id -u)" = 0 ] || { echo "FAIL: the loop device part needs root (losetup)"; exit 1; }
command -v losetup >/dev/null || { echo "FAIL: losetup not found: apt-get install mount"; exit 1; }
work=$(mktemp -d)
loops=()
cleanup() {
	local l
	for l in "${loops[@]}"; do losetup -d "$l"; done
	rm -rf "$work"
}
trap cleanup EXIT
for d in a b; do
	truncate -s 4M "$work/$d.img"
	l=$(losetup -f --show "$work/$d.img") || { echo "FAIL: losetup of $work/$d.img"; exit 1; }
	loops+=("$l")
done
A=${loops[0]} B=${loops[1]}

# run NAME WANT-EXIT ARGS...: p2pio's text into $work/NAME.{txt,err}, JSON into NAME.json
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$io" "$@" >"$work/$name.txt" 2>"$work/$name.err" || rc=$?
	[ $rc = "$want" ] || { cat "$work/$name.txt" "$work/$name.err"; fail "$name: exit $rc, want $want"; }
	rc=0
	"$io" -j "$@" >"$work/$name.json" 2>/dev/null || rc=$?
	[ $rc = "$want" ] || fail "$name -j: exit $rc, want $want"
}
js() { jq -c "$2" "$work/$1.json"; }

# zeros on both: equal, and nothing proven
run zeros 3 --host --verify -n 16 "$A" "$B"
grep -qx "  verified 16 chunks, 16 of them all zeros: a copy of zeros proves nothing (use --pattern)" "$work/zeros.txt" ||
	{ cat "$work/zeros.txt"; fail "zeros: the report"; }
grep -q "DST matches SRC" "$work/zeros.txt" && fail "zeros: a match is claimed"
[ "$(cat "$work/zeros.err")" = "p2pio: 16 of 16 verified chunks of SRC were all zeros: nothing proves they were copied (use --pattern)" ] ||
	fail "zeros: stderr: $(cat "$work/zeros.err")"
[ "$(js zeros '[.verified, .zero_chunks, .dst_matches, .proven, .pattern]')" = '[16,16,true,false,false]' ] ||
	fail "zeros: JSON $(js zeros '[.verified, .zero_chunks, .dst_matches, .proven, .pattern]')"
ok "zeros: 16 of 16 said, exit 3, proven false"

# half of SRC's range data, half zeros
dd if=/dev/urandom of="$A" bs=64k count=8 oflag=direct status=none
run half 3 --host --verify -n 16 "$A" "$B"
grep -qx "  verified 16 chunks, 8 of them all zeros: a copy of zeros proves nothing (use --pattern); the other 8 are equal to SRC" \
	"$work/half.txt" || { cat "$work/half.txt"; fail "half: the report"; }
[ "$(js half '[.verified, .zero_chunks, .proven]')" = '[16,8,false]' ] || fail "half: JSON"
ok "half zeros: 8 of 16 said, exit 3"

# --pattern: SRC's range written first, then a proven copy
cp "$work/a.img" "$work/a.before"
run pattern 0 --host --verify --pattern -o 128K -n 16 "$A" "$B"
grep -qx "  pattern: 1048576 bytes of this run's pattern written to SRC first" "$work/pattern.txt" ||
	fail "pattern: no pattern line"
grep -qx "  verified 16 chunks: DST matches SRC" "$work/pattern.txt" || { cat "$work/pattern.txt"; fail "pattern: no proven match"; }
[ "$(js pattern '[.verified, .zero_chunks, .dst_matches, .proven, .pattern, .pattern_bytes]')" = '[16,0,true,true,true,1048576]' ] ||
	fail "pattern: JSON $(js pattern '[.verified, .zero_chunks, .dst_matches, .proven, .pattern, .pattern_bytes]')"
# the bytes: exactly the range, no 8-byte word of it zero, DST equal to SRC
# there, the rest of SRC as it was (the JSON run wrote the last pattern)
python3 - "$work/a.img" "$work/a.before" "$work/b.img" <<'PY' || fail "pattern: the bytes on the devices"
import sys
a, before, b = (open(p, "rb").read() for p in sys.argv[1:])
lo, hi = 128 << 10, (128 << 10) + (1 << 20)
words = [a[i:i + 8] for i in range(lo, hi, 8)]
assert all(w != bytes(8) for w in words), "a zero word in the pattern"
assert len(set(words)) == len(words), "a word repeats"
assert a[:lo] == before[:lo] and a[hi:] == before[hi:], "SRC written outside the range"
assert a[lo:hi] != before[lo:hi]
assert b[lo:hi] == a[lo:hi], "DST does not hold the pattern"
print("ok: pattern: 131072 distinct non-zero words in exactly SRC's range, the same on DST")
PY
cp "$work/a.img" "$work/a.run1"
run pattern2 0 --host --verify --pattern -o 128K -n 16 "$A" "$B"
cmp -s "$work/a.run1" "$work/a.img" && fail "pattern: the same pattern in two runs"
ok "pattern: another run, another pattern"

exit $bad
