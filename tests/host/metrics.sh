# p2ptop's Prometheus metrics as the real consumers read them, on the build
# host: promtool (Debian's prometheus package) accepts the unit test's fake
# model, hostile label values included, with no lint complaint.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v promtool >/dev/null || { echo "FAIL: promtool not found: apt-get install prometheus"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$top/build/unit/metrics" --print >"$out" || { echo "FAIL: build/unit/metrics --print"; exit 1; }
grep -q '^p2pdma_cmb_used_bytes{provider="0000:03:00.0"} 131072$' "$out" ||
	{ echo "FAIL: the fake model's metrics lack the used bytes"; exit 1; }
lint=$(promtool check metrics <"$out" 2>&1)
rc=$?
[ $rc = 0 ] && [ -z "$lint" ] || { echo "FAIL: promtool check metrics: exit $rc: $lint"; exit 1; }
echo "ok: promtool check metrics accepts $(grep -c '^p2pdma_' "$out") samples"
