# Every patch in kernel/patches passes the kernel's checkpatch.pl --strict with
# 0 errors and 0 warnings (CHECKs are allowed: trace event macros trip them).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tarball=${P2PSCOPE_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
[ -r "$tarball" ] || { echo "FAIL: $tarball not found: apt-get install linux-source-6.12"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
	'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
bad=0
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	out=$("$tmp/scripts/checkpatch.pl" --strict --no-tree "$top/kernel/patches/$p" 2>&1 || true)
	summary=$(printf '%s\n' "$out" | grep '^total:' || echo "total: ? (checkpatch gave no summary)")
	echo "$p: $summary"
	case $summary in
	'total: 0 errors, 0 warnings,'*) ;;
	*) printf '%s\n' "$out"; bad=1 ;;
	esac
done <"$top/kernel/patches/series"
exit $bad
