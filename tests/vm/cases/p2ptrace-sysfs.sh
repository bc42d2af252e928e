# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# The same p2ptrace binary on each lab kernel, with the sysfs p2pmem/allocate
# buffer every P2PDMA kernel has: a 64 KiB copy to the switch peer (BUS_ADDR)
# and one to the root-bus NVMe (refused), with exact counts. -v names the
# kernel and the hook chosen per feature; hooks that need our series are
# reported as unavailable elsewhere, and nothing is dropped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
pages=$((size / 4096))
nosup=$(decisions_per_refusal)
errname=$(refused_errno)

trace_start json -j -v
grep -v '^libbpf' "$work/json.err"
grep -q "^p2ptrace: kernel $(uname -r)$" "$work/json.err" || fail "-v does not name the kernel"
grep -q "^p2ptrace: map-type *$(expected_map_hook)$" "$work/json.err" ||
	fail "-v does not show $(expected_map_hook) for map-type"
ok "-v shows the kernel and the map-type hook $(expected_map_hook)"
for h in alloc free sysfs-mmap block-io; do
	grep -q "^p2ptrace: $h *unavailable" "$work/json.err" && fail "$h is unavailable"
done
if has_our_series; then
	grep -q "unavailable" "$work/json.err" && fail "a hook is unavailable on our kernel"
	ok "every hook is available"
else
	for h in vma-fault vma-close revoke; do
		grep -q "^p2ptrace: $h *unavailable" "$work/json.err" ||
			fail "-v does not report $h as unavailable"
	done
	grep -q "^p2ptrace: this kernel has no hook for .*fault events" "$work/json.err" ||
		fail "no word, without -v, of the events that will not appear"
	ok "vma-fault, vma-close and revoke are reported unavailable, once, with what is lost"
fi

# Hooks are chosen by trying them, not by reading tracefs: with it
# unmounted, the choice is the same and every chosen hook attaches.
if ! has_our_series; then
	umount /sys/kernel/debug/tracing 2>/dev/null || true
	umount /sys/kernel/tracing
	"$bin/p2ptrace" -v -D 0.5 >/dev/null 2>"$work/notracefs.err" ||
		{ cat "$work/notracefs.err"; fail "p2ptrace fails without tracefs"; }
	diff <(grep -E '^p2ptrace: [a-z-]+ +[a-z_]+/' "$work/json.err") \
		<(grep -E '^p2ptrace: [a-z-]+ +[a-z_]+/' "$work/notracefs.err") ||
		fail "without tracefs the hooks chosen differ"
	grep -q "cannot attach" "$work/notracefs.err" && fail "a chosen hook did not attach"
	ok "without tracefs: the same hooks, all attached"
	mount -t tracefs tracefs /sys/kernel/tracing
fi

"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size $size --expect ok
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size $size --expect refused
sleep 0.3
trace_stop json

jq -e . "$work/json.out" >/dev/null || fail "p2ptrace -j output is not JSON lines"
A='.provider == "'$A_BDF'"'
expect_eq "alloc events" "$(jcount json ".event == \"alloc\" and $A and .bytes == $size")" 2
expect_eq "free events" "$(jcount json ".event == \"free\" and $A and .bytes == 4096")" $((2 * pages))
expect_eq "sysfs mmap events" "$(jcount json ".event == \"fault\" and $A and .bytes == $size and .allocated")" 2
expect_eq "close events" "$(jcount json '.event == "close"')" 0
expect_eq "map BUS_ADDR to $B" \
	"$(jcount json ".event == \"map\" and .client == \"$B_BDF\" and .map_type == \"BUS_ADDR\"")" 2
expect_eq "map NOT_SUPPORTED to $C ($nosup per refused request)" \
	"$(jcount json ".event == \"map\" and .client == \"$C_BDF\" and .map_type == \"NOT_SUPPORTED\"")" $((2 * nosup))
expect_eq "other map types" "$(jcount json '.event == "map" and .map_type != "BUS_ADDR" and .map_type != "NOT_SUPPORTED"')" 0
expect_eq "P2P I/O to $B" \
	"$(jcount json ".event == \"io\" and .disk == \"${B_DISK#/dev/}\" and .map_type == \"BUS_ADDR\" and .bytes == $size and .result == \"ok\" and .lat_us > 0")" 2
expect_eq "I/O ops to $B" "$(jcount json '.event == "io" and .op == "read"') $(jcount json '.event == "io" and .op == "write"')" "1 1"
expect_eq "fallbacks to $C" \
	"$(jcount json ".event == \"fallback\" and .disk == \"${C_DISK#/dev/}\" and .client == \"$C_BDF\" and .map_type == \"NOT_SUPPORTED\" and .bytes == $size and .result == \"$errname\"")" 2
expect_eq "drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/json.out")" 0
