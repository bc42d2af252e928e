# Every tool the Makefile builds has a man page in man/man8 that man and
# groff render without a warning, with the usual sections, and whose
# OPTIONS list exactly the options of the tool's --help.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bad=0
fail() { echo "FAIL: $*"; bad=1; }
command -v man >/dev/null || { echo "FAIL: man not found: apt-get install man-db"; exit 1; }
tools=$(sed -n 's/^TOOLS *:= *//p' "$top/Makefile")
[ -n "$tools" ] || { echo "FAIL: no TOOLS in the Makefile"; exit 1; }

# the options in a --help text, or in an OPTIONS section's tags, one a line
help_options() { grep -E '^ +-' | grep -oE '(^|[ ,])--?[A-Za-z?][A-Za-z0-9-]*' | sed 's/^[ ,]*//' | sort -u; }
tag_options() { grep -E '^       -' | grep -oE '(^|[ ,])--?[A-Za-z?][A-Za-z0-9-]*' | sed 's/^[ ,]*//' | sort -u; }

for tool in $tools; do
	page=$top/man/man8/$tool.8
	[ -f "$page" ] || { fail "$tool has no man page man/man8/$tool.8"; continue; }
	err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$err" ] || fail "$tool.8: man --warnings: $err"
	err=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
	[ -z "$err" ] || fail "$tool.8: groff -ww: $err"
	# wide enough that nothing is hyphenated
	text=$(MANWIDTH=1000 man -l "$page" 2>/dev/null)
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES FIELDS "EXIT STATUS" OVERHEAD "SEE ALSO"; do
		grep -qx "$s" <<<"$text" || fail "$tool.8 has no $s section"
	done
	grep -qE "^ +$tool - " <<<"$text" || fail "$tool.8: NAME does not start with '$tool - '"
	opts=$(sed -n '/^OPTIONS$/,/^[A-Z]/p' <<<"$text")
	want=$("$top/build/$tool" --help | help_options)
	[ -n "$want" ] || { fail "$tool --help lists no options"; continue; }
	missing=$(comm -23 <(echo "$want") <(tag_options <<<"$opts"))
	extra=$(comm -13 <(echo "$want") <(tag_options <<<"$opts"))
	[ -z "$missing" ] || fail "$tool.8 OPTIONS lacks: $(echo $missing)"
	[ -z "$extra" ] || fail "$tool.8 OPTIONS has options --help does not: $(echo $extra)"
	[ -n "$missing$extra" ] || echo "ok: $tool.8 renders cleanly, documents its $(wc -l <<<"$want") options"
done
exit $bad
