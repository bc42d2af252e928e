# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debian
# Any process can name itself anything. One named "\xff\x1b[2J" (invalid
# UTF-8 and a clear-screen sequence) does P2P I/O under p2ptrace -j,
# p2ptrace, p2ptop -j and p2ptop -b: every JSON line parses, with Python's
# json and with jq, and no ESC byte reaches the text output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
name=$(printf '\xff\x1b[2J')
# a process's name is the file it was run as
ln -s "$bin/p2pcheck" "$work/$name"

trace_start json -j
trace_start text
"$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
"$bin/p2ptop" -b 1 >"$work/top.txt" 2>"$work/btop.err" &
btop=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && [ -s "$work/top.txt" ] && break; sleep 0.1; done
"$work/$name" copy --sysfs "$A_BDF" --disk "$B_DISK" --size 65536 --expect ok >/dev/null
"$work/$name" copy --sysfs "$A_BDF" --disk "$C_DISK" --size 65536 --expect refused >/dev/null
sleep 2.5
trace_stop json
trace_stop text
kill -INT $top $btop
wait $top && wait $btop || fail "p2ptop exited with an error"

for f in json.out top.json; do
	python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]' "$work/$f" ||
		fail "$f: a line is not valid UTF-8 JSON"
	jq -e . "$work/$f" >/dev/null || fail "$f: jq rejects it"
done
ok "every JSON line of p2ptrace -j and p2ptop -j parses (python3 json, jq)"
jq -c '.processes[].comm' "$work/top.json" | grep -qF '"\\xff\u001b[2J"' ||
	fail "p2ptop never showed the process"
expect_eq "the name as JSON shows it" \
	"$(jq -c 'select(.event == "io") | .comm' "$work/json.out" | sort -u)" '"\\xff\u001b[2J"'
[ "$(jcount json '.event == "io" or .event == "fallback"')" -ge 4 ] || fail "the process's I/O is not in the trace"
for f in text.out top.txt; do
	if grep -q "$(printf '\x1b')" "$work/$f"; then fail "$f: an ESC byte reached the text output"; fi
	LC_ALL=C grep -q "$(printf '\xff')" "$work/$f" && fail "$f: a raw 0xff byte reached the text output"
done
grep -q '\\xff\\x1b\[2J' "$work/text.out" || fail "p2ptrace's text does not show the name escaped"
ok "no ESC or raw 0xff in p2ptrace's or p2ptop's text; the name shows as \\xff\\x1b[2J"
