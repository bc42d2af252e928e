# lab: --cpu qemu64 --kernel stock
# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# fio, a client we did not write, as users run it: io_uring reads from B
# into A's CMB through --mem=mmapshared: on the sysfs p2pmem/allocate file
# (and on /dev/nvmeN with our series), inline, through io_uring's io-wq
# workers (--force_async) and from an SQPOLL thread. p2ptrace's bytes equal
# fio's own totals, and its request count fio's I/Os less those the block
# layer merged (/sys/block/*/stat); p2ptop shows fio holding the buffer while it
# runs; reading the root-bus C into the CMB is refused, and shows as
# NOT_SUPPORTED decisions and one fallback per refused I/O.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
command -v fio >/dev/null || fail "fio is not installed (make deps)"
bufs=("/sys/bus/pci/devices/$A_BDF/p2pmem/allocate")
! has_our_series || bufs+=("/dev/$A")

run_fio() { # NAME DISK MEM [FIO OPTIONS...]: fio's JSON in $work/NAME.fio
	local name=$1 disk=$2 mem=$3
	shift 3
	fio --name="$name" --filename="$disk" --rw=read --bs=64k --size=8M --direct=1 \
		--ioengine=io_uring "$@" --iodepth=4 --mem="mmapshared:$mem" \
		--output-format=json >"$work/$name.fio" 2>"$work/$name.fioerr"
}

n=0
for mem in "${bufs[@]}"; do
	for mode in inline --force_async=1 --sqthread_poll=1; do
		n=$((n + 1))
		opts=()
		[ $mode = inline ] || opts=("$mode")
		trace_start r$n -j -P "$A_BDF"
		read -r r0 rm0 _ _ < <(diskstat "$B_DISK")
		run_fio r$n "$B_DISK" "$mem" "${opts[@]}" ||
			{ cat "$work/r$n.fioerr"; fail "fio $mode on $mem failed"; }
		sleep 0.5
		read -r r1 rm1 _ _ < <(diskstat "$B_DISK")
		trace_stop r$n
		got=$(jq -M -c '.jobs[0].read | [.total_ios, .io_bytes]' "$work/r$n.fio")
		[ "$got" = "[128,8388608]" ] || fail "fio $mode read $got, not 128 I/Os of 64 KiB"
		expect_eq "fio $mode: its 128 I/Os are the block layer's requests and merges" \
			"$((r1 - r0 + rm1 - rm0))" 128
		expect_eq "fio $mode (${mem##*/}): p2ptrace requests and bytes ($((rm1 - rm0)) merged)" \
			"$(jq -M -s -c "[.[] | select(.event == \"io\" and .disk == \"${B_DISK#/dev/}\" and .op == \"read\" and .result == \"ok\")] | [length, (map(.bytes) | add)]" "$work/r$n.out")" \
			"[$((r1 - r0)),8388608]"
		expect_eq "fio $mode: every I/O is fio's process" \
			"$(jq -M -s -c "[.[] | select(.event == \"io\") | .pid] | unique | length" "$work/r$n.out")" 1
		expect_eq "fio $mode: drops" "$(jq -c 'select(.summary) | .summary.drops' "$work/r$n.out")" 0
	done
done

# fio holds the buffer while it runs (held_bytes is what it mapped, which
# is what the provider has in use)
"$bin/p2ptop" -j 0.5 >"$work/top.json" 2>"$work/top.err" &
top=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && break; sleep 0.1; done
run_fio long "$B_DISK" "${bufs[0]}" --time_based --runtime=4 || { cat "$work/long.fioerr"; fail "fio failed"; }
kill -INT $top
wait $top || { cat "$work/top.err"; fail "p2ptop exited with $?"; }
held=$(jq -M -c "select(.held_tracked) | . as \$r | [.processes[] | select(.comm == \"fio\" and .held_bytes > 0) | .held_bytes] | select(length == 1) | [.[0], (\$r.providers[] | select(.bdf == \"$A_BDF\") | .used)]" "$work/top.json" | sort | uniq -c | sort -rn | head -n 1)
echo "held by fio, and used: $held"
case $held in
*"["[1-9]*","[1-9]*"]") set -- ${held//[\[\],]/ }
	[ "$2" = "$3" ] || fail "fio holds $2 bytes but the provider has $3 in use" ;;
*) fail "no p2ptop report showed fio holding the buffer" ;;
esac
[ "$1" -ge 4 ] || fail "only $1 reports showed fio holding the buffer"
ok "p2ptop showed fio holding the $2 bytes the provider had in use ($1 reports)"
expect_eq "after fio: provider used" "$(tail -n 1 "$work/top.json" | jq -M ".providers[] | select(.bdf == \"$A_BDF\") | .used")" 0

# the refused pair: C cannot reach A's CMB under qemu64
trace_start refused -j -P "$A_BDF"
run_fio refused "$C_DISK" "${bufs[0]}" --size=64k && fail "fio read C into A's CMB without an error"
sleep 0.5
trace_stop refused
expect_eq "refused: NOT_SUPPORTED decisions for C" \
	"$(jcount refused ".event == \"map\" and .client == \"$C_BDF\" and .map_type == \"NOT_SUPPORTED\"")" "$(decisions_per_refusal)"
expect_eq "refused: fallbacks for C" \
	"$(jcount refused ".event == \"fallback\" and .client == \"$C_BDF\" and .bytes == 65536 and .result == \"$(refused_errno)\"")" 1
expect_eq "refused: P2P I/O" "$(jcount refused '.event == "io"')" 0
