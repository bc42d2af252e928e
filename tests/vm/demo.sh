# Guest side of "make demo": a real P2P workload under p2ptop, p2ptrace and
# perf, on the lab's NVMe devices.
. "$(dirname "$0")/lib.sh"
lab_devices
work=$(mktemp -d)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "The lab: NVMe $A ($A_BDF) has a 16 MiB CMB published as P2P memory"
for d in /sys/bus/pci/devices/*/p2pmem; do
	printf '  %s  size %s  available %s\n' "$(basename "$(dirname "$d")")" \
		"$(cat "$d/size")" "$(cat "$d/available")"
done
printf '  %s (%s) is under the same PCIe switch; %s (%s) is on the root bus\n' \
	"$B" "$(nvme_bdf "$B")" "$C" "$(nvme_bdf "$C")"

say "p2pdoctor: before any I/O, will $A's CMB do P2P with $B and $C, and if not, why?"
"$bin/p2pdoctor" -d "$B,$C" | sed -n '/^PAIRS/,$p' || true

"$bin/p2ptrace" >"$work/trace.txt" 2>"$work/trace.err" &
tracer=$!
for _ in $(seq 300); do grep -q '^Tracing' "$work/trace.err" && break; sleep 0.1; done

# one p2ptop report while each copy holds the CMB: p2ptop starts once p2pio
# has its buffer, and the copy goes on until the report is written (p2ptop
# may take seconds to start on a loaded machine), then stops on SIGINT
size=$(cat "$P2PMEM/size")
snapshot() { # OUT: a one-second p2ptop report, taken while the CMB is in use
	for _ in $(seq 200); do
		[ "$(cat "$P2PMEM/available")" -lt "$size" ] && break
		sleep 0.05
	done
	"$bin/p2ptop" -b -r 5 1 1 >"$1" 2>&1
}
perf stat -a -e 'p2pdma:*' -o "$work/perf.txt" -- bash -c "
	$(declare -f snapshot); bin='$bin'; P2PMEM='$P2PMEM'; size=$size
	copy() { # SRC DST NAME: copy until the snapshot is taken
		'$bin/p2pio' -D 600 -q 4 \$1 \$2 >'$work'/\$3.io & io=\$!
		snapshot '$work'/\$3.top
		sleep 1
		kill -INT \$io; wait \$io
	}
	copy '$A_DISK' '$B_DISK' peer && copy '$B_DISK' '$C_DISK' rootbus
	sleep 1" || fail "a copy under perf failed"
kill -INT $tracer
wait $tracer

say "p2pio: $A_DISK -> $B_DISK through $A's CMB (peer-to-peer through the switch)"
cat "$work/peer.io"
say "p2ptop -b, during that copy"
cat "$work/peer.top"
say "p2pio: $B_DISK -> $C_DISK through the CMB (root bus: the host bridge is not allowed)"
cat "$work/rootbus.io"
say "p2ptop -b, during that copy"
cat "$work/rootbus.top"
say "p2ptrace: the start of each copy"
head -n 12 "$work/trace.txt"
echo "  ..."
grep -m 6 -E ' (map|fallback) .* NOSUP ' "$work/trace.txt"
echo "  ..."
tail -n 3 "$work/trace.txt"
say "perf stat -a -e 'p2pdma:*' around both copies"
grep p2pdma "$work/perf.txt"

# The demo shows what it says: each snapshot has the CMB in use, held by p2pio.
for t in peer rootbus; do
	grep -Eq "^$A_BDF +$A +[0-9.]+M +[1-9][0-9.]*[KM] " "$work/$t.top" ||
		fail "the $t snapshot shows no CMB in use"
	grep -Eq "^ *[0-9]+ p2pio +[1-9][0-9.]*[KM] +[1-9]" "$work/$t.top" ||
		fail "the $t snapshot does not show p2pio holding the CMB"
done

cat <<TXT

What you are looking at: $A's controller memory buffer is mapped into p2pio
and used as its O_DIRECT buffer. For the copy to $B, both NVMe devices sit
under one PCIe switch, so the kernel maps the CMB with PCI bus addresses
(map type BUS): the data goes drive to CMB to drive and never touches host
RAM. For $C, on the root bus, the path would cross the host bridge, which
this CPU model is not trusted for: the kernel refuses the mapping (NOSUP),
the I/O fails (EREMOTEIO on 6.12), and p2pio bounces each chunk through host
memory (fallbacks). p2ptop shows the CMB in use, the decisions and fallbacks
per second and why P2P was refused; p2ptrace shows every event; perf counts
the same p2pdma trace events (each refused request is mapped twice: see
docs/perf.md).
TXT
