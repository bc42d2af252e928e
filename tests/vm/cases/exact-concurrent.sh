# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# Every P2P I/O counted, under concurrency like p2pmem-test's: two threads,
# a queue depth of 8, B into A's CMB (sysfs buffer) and on to A, repeated.
# p2ptrace's and p2ptop's counts and bytes equal p2pio's own totals every
# round: on Debian's 7.3 (preempt=lazy) the kernel skips a hook's program
# nested on one CPU a few times per round, so this fails without the twins.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
chunks=512
chunk=65536
rounds=4

for r in $(seq $rounds); do
	trace_start t$r -j -P "$A_BDF"
	"$bin/p2ptop" -j 0.5 >"$work/top$r.json" 2>"$work/top$r.err" &
	top=$!
	for _ in $(seq 600); do [ -s "$work/top$r.json" ] && break; sleep 0.1; done
	[ -s "$work/top$r.json" ] || { cat "$work/top$r.err"; fail "p2ptop -j printed nothing"; }
	"$bin/p2pio" -j -t 2 -q 8 -n $chunks -c $chunk --sysfs "$A_BDF" "$B_DISK" "$A_DISK" \
		>"$work/p2pio$r.json" || fail "p2pio failed"
	sleep 1.5
	kill -INT $top
	wait $top || { cat "$work/top$r.err"; fail "p2ptop exited with $?"; }
	trace_stop t$r
	expect_eq "round $r: p2pio's own count" \
		"$(jq -M -c '[.chunks, .p2p_ios, .fallbacks]' "$work/p2pio$r.json")" "[$chunks,$((2 * chunks)),0]"
	ios=$((2 * chunks))
	bytes=$((chunks * chunk))
	expect_eq "round $r: p2ptrace io events, reads, writes" \
		"$(jcount t$r '.event == "io" and .result == "ok" and .bytes == '$chunk) $(jcount t$r '.event == "io" and .op == "read"') $(jcount t$r '.event == "io" and .op == "write"')" \
		"$ios $chunks $chunks"
	expect_eq "round $r: p2ptrace decisions" "$(jcount t$r '.event == "map" and .map_type == "BUS_ADDR"')" $ios
	expect_eq "round $r: p2ptrace summary" \
		"$(jq -M -c 'select(.summary) | .summary | [.events.io, .io_bytes.BUS_ADDR, .drops]' "$work/t$r.out")" \
		"[$ios,$((2 * bytes)),0]"
	expect_eq "round $r: p2ptop provider ios, read and written bytes, nothing lost" \
		"$(tail -n 1 "$work/top$r.json" | jq -M -c "[(.providers[] | select(.bdf == \"$A_BDF\") | .totals | .ios, .read_bytes, .write_bytes), .complete, .lost.nested]")" \
		"[$ios,$bytes,$bytes,true,0]"
done
