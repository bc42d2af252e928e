# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# p2ptop on each lab kernel, around a known sysfs workload (a 64 KiB copy to
# the switch peer and one to the root-bus NVMe): JSON totals per provider
# and per pair are the workload's, rates times intervals add up to them, the
# refused pair carries the kernel's reason, the batch text agrees, and
# nothing was lost.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
nosup=$(decisions_per_refusal)

"$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
"$bin/p2ptop" -b 1 >"$work/top.txt" 2>"$work/btop.err" &
btop=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && [ -s "$work/top.txt" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }

"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size $size --expect ok >/dev/null
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size $size --expect refused >/dev/null
sleep 2.5
kill -INT $top $btop
wait $top || fail "p2ptop -j exited with $?"
wait $btop || fail "p2ptop -b exited with $?"
cat "$work/top.err"

jq -e . "$work/top.json" >/dev/null || fail "p2ptop -j output is not JSON lines"
last() { tail -n 1 "$work/top.json" | jq -M -c "$1"; }
prov=".providers[] | select(.bdf == \"$A_BDF\")"
expect_eq "provider totals" \
	"$(last "$prov | .totals | [.allocs, .alloc_bytes, .maps.BUS_ADDR, .maps.NOT_SUPPORTED, .fallbacks, .fallback_bytes, .ios, .read_bytes, .write_bytes]")" \
	"[2,$((2 * size)),2,$((2 * nosup)),2,$((2 * size)),2,$size,$size]"
expect_eq "used after both copies" "$(last "$prov | .used")" 0
expect_eq "nothing lost" "$(last '[.complete, .lost.maps, .lost.ios, .lost.pids, .lost.pairs, .lost.names]')" \
	"[true,0,0,0,0,0]"
expect_eq "the peer pair" \
	"$(last ".pairs[] | select(.client == \"$B_BDF\") | [.map_type, .ios, .bytes, .fallbacks, .decisions.BUS_ADDR, .reason]")" \
	"[\"BUS_ADDR\",2,$((2 * size)),0,2,null]"
expect_eq "the refused pair" \
	"$(last ".pairs[] | select(.client == \"$C_BDF\") | [.map_type, .ios, .fallbacks, .decisions.NOT_SUPPORTED, .reason]")" \
	"[\"NOT_SUPPORTED\",0,2,$((2 * nosup)),\"no common upstream bridge; host bridge 8086:29c0 not on the allowlist\"]"
sum() { jq -M -s "[.[] | .interval as \$t | .providers[] | select(.bdf == \"$A_BDF\") | $1 * \$t] | add * 100 | round / 100" "$work/top.json"; }
expect_eq "sum of BUS_ADDR rate x interval" "$(sum '.maps_per_s.BUS_ADDR')" 2
expect_eq "sum of NOT_SUPPORTED rate x interval" "$(sum '.maps_per_s.NOT_SUPPORTED')" $((2 * nosup))
expect_eq "sum of fallback rate x interval" "$(sum .fallback_per_s)" 2
expect_eq "sum of alloc rate x interval" "$(sum .alloc_per_s)" 2
grep -Eq "^$A_BDF +$A +16.0M +0 " "$work/top.txt" ||
	{ tail -n 20 "$work/top.txt"; fail "batch output never showed $A_BDF with its 16.0M"; }
grep -Eq "^$A +$C +NOSUP .*no common upstream bridge; host bridge 8086:29c0 not on the allowlist$" "$work/top.txt" ||
	{ tail -n 20 "$work/top.txt"; fail "batch output never showed the refused pair and why"; }
ok "batch output shows the provider and the refused pair with its reason"
