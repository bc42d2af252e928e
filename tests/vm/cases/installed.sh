# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# The tools as "make install" leaves them, run from outside the work tree:
# installed into a DESTDIR under /tmp, p2ptrace -j -D traces a known sysfs
# copy and p2ptop reports the provider. Then p2ptop-textfile.service's own
# command line, run the way systemd runs it: it writes node_exporter's
# p2pdma.prom, stops on SIGTERM with status 0 and its file removed, and
# leaves no BPF program, link or pin behind; a textfile it cannot write
# ends it with status 1, which Restart=on-failure restarts. Uninstall leaves
# nothing.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
size=65536
D=$(mktemp -d /tmp/p2pscope-destdir.XXXXXX)
unit=p2ptop-textfile.service

make -s -C "$top" --no-print-directory install DESTDIR="$D" >"$work/install.out" 2>&1 ||
	{ cat "$work/install.out"; fail "make install DESTDIR=$D"; }
sbin=$D/usr/local/sbin
u=$D/usr/local/lib/systemd/system/$unit
[ -f "$u" ] || fail "make install did not install $unit"
# nothing from the work tree: its build/ is not on PATH, and we run from /
export PATH=$sbin:/usr/sbin:/usr/bin:/sbin:/bin
cd /
for t in p2ptrace p2ptop p2pio; do
	expect_eq "$t found on PATH" "$(command -v $t)" "$sbin/$t"
done

# p2ptrace: a 64 KiB copy to the switch peer, inside a 15 s trace that ends itself
p2ptrace -j -D 15 >"$work/trace.json" 2>"$work/trace.err" &
tpid=$!
for _ in $(seq 600); do grep -q '^Tracing' "$work/trace.err" && break; sleep 0.1; done
grep -q '^Tracing' "$work/trace.err" || { cat "$work/trace.err"; fail "installed p2ptrace did not start"; }
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size $size --expect ok >/dev/null
wait $tpid || { cat "$work/trace.err"; fail "installed p2ptrace -D exited with $?"; }
jq -e . "$work/trace.json" >/dev/null || fail "installed p2ptrace -j output is not JSON lines"
expect_eq "installed p2ptrace: P2P I/O to $B_DISK, read and write" \
	"$(jq -r "select(.event == \"io\" and .provider == \"$A_BDF\" and .map_type == \"BUS_ADDR\" and .bytes == $size and .result == \"ok\") | .op" "$work/trace.json" | sort | paste -sd ' ')" \
	"read write"
expect_eq "installed p2ptrace: summary" \
	"$(jq -c 'select(.summary) | [.summary.events.io, .summary.events.fallback, .summary.drops]' "$work/trace.json")" \
	"[2,0,0]"

# p2ptop: JSON and metrics
p2ptop -j 1 1 >"$work/top.json" 2>"$work/top.err" || { cat "$work/top.err"; fail "installed p2ptop -j exited with $?"; }
expect_eq "installed p2ptop: the provider's size" \
	"$(jq -c ".providers[] | select(.bdf == \"$A_BDF\") | .size" "$work/top.json")" 16777216
p2ptop -o openmetrics 1 1 >"$work/top.prom" 2>"$work/top.err" || fail "installed p2ptop -o openmetrics exited with $?"
grep -qx "p2pdma_cmb_size_bytes{provider=\"$A_BDF\"} 16777216" "$work/top.prom" ||
	fail "installed p2ptop -o openmetrics lacks the provider's size"
lint=$(promtool check metrics <"$work/top.prom" 2>&1) && [ -z "$lint" ] || fail "promtool check metrics: $lint"
ok "installed p2ptop reports the provider, in JSON and in metrics promtool accepts"

# ---- the service, as systemd runs it ----
exec_start=$(sed -n 's/^ExecStart=//p' "$u")
read -r -a cmd <<<"$exec_start"
[ "${cmd[0]}" = /usr/local/sbin/p2ptop ] || fail "$unit runs '${cmd[0]}', not the installed p2ptop"
cmd[0]=$sbin/p2ptop	# the same binary, where DESTDIR put it
textdir=/var/lib/prometheus/node-exporter
expect_eq "$unit writes into" "$(grep -o -- "--textfile [^ ]*" <<<"$exec_start")" "--textfile $textdir"
[ -d "$textdir" ] || fail "$textdir is missing: make deps installs prometheus-node-exporter"
# the host's root is read-only here: the service gets a fresh directory
mount -t tmpfs -o mode=0755 tmpfs "$textdir"
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
nprogs() { bpftool prog show -j | jq length; }
nlinks() { bpftool link show -j | jq length; }
base="$(nprogs) $(nlinks)"
prom=$textdir/p2pdma.prom

# run_service: start the unit's command; wait for its first file
run_service() {
	"${cmd[@]}" >"$work/svc.out" 2>"$work/svc.err" &
	svc=$!
	for _ in $(seq 1200); do [ -s "$prom" ] && return 0; kill -0 $svc 2>/dev/null || break; sleep 0.1; done
	cat "$work/svc.err"
	fail "$unit's command wrote no $prom"
}
# bpf_gone WHAT: no program, link or pin of ours is left
bpf_gone() {
	expect_eq "BPF programs and links $1" "$(nprogs) $(nlinks)" "$base"
	expect_eq "BPF pins $1" "$(find /sys/fs/bpf -mindepth 1 | wc -l)" 0
}

run_service
read -r p0 l0 <<<"$base"
[ "$(nprogs)" -gt "$p0" ] && [ "$(nlinks)" -gt "$l0" ] ||
	fail "no BPF programs or links while the service runs ($(nprogs) $(nlinks), before: $base)"
ok "the service runs with $(($(nprogs) - p0)) BPF programs on $(($(nlinks) - l0)) links"
grep -qx "p2pdma_cmb_size_bytes{provider=\"$A_BDF\"} 16777216" "$prom" || fail "$prom lacks the provider's size"
[ "$(stat -c %a "$prom")" = 644 ] || fail "$prom is not world-readable for node_exporter"
lint=$(promtool check metrics <"$prom" 2>&1) && [ -z "$lint" ] || fail "promtool check metrics $prom: $lint"
ok "the service writes $prom, which promtool accepts"
[ ! -s "$work/svc.out" ] || fail "the service wrote to stdout: $(head -n 3 "$work/svc.out")"

# systemctl stop: SIGTERM, then TimeoutStopSec before SIGKILL
stop_timeout=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$u")
[ -n "$stop_timeout" ] || fail "$unit has no TimeoutStopSec in seconds"
kill -"$(sed -n 's/^KillSignal=SIG//p' "$u")" $svc
for _ in $(seq $((stop_timeout * 10))); do kill -0 $svc 2>/dev/null || break; sleep 0.1; done
kill -0 $svc 2>/dev/null && fail "the service did not stop within TimeoutStopSec=${stop_timeout}s"
rc=0
wait $svc || rc=$?
expect_eq "the service's status on SIGTERM (0: systemd does not restart it)" $rc 0
[ ! -e "$prom" ] || fail "the stopped service left $prom for node_exporter to serve"
expect_eq "files left in $textdir" "$(ls -A "$textdir" | wc -l)" 0
bpf_gone "after the stop"

# a textfile it cannot write: status 1, which Restart=on-failure restarts
grep -qx "Restart=on-failure" "$u" || fail "$unit does not restart on failure"
run_service
mount -o remount,ro "$textdir"
for _ in $(seq 600); do kill -0 $svc 2>/dev/null || break; sleep 0.1; done
kill -0 $svc 2>/dev/null && fail "the service kept running with an unwritable textfile directory"
rc=0
wait $svc || rc=$?
expect_eq "the service's status when the textfile cannot be written" $rc 1
grep -q "^p2ptop: cannot create a file in $textdir: Read-only file system$" "$work/svc.err" ||
	fail "no one-line reason on stderr: $(cat "$work/svc.err")"
grep -qx "RestartPreventExitStatus=2" "$u" || fail "$unit does not spare usage errors the restarts"
bpf_gone "after the failure"
umount "$textdir"

cd "$top"
make -s --no-print-directory uninstall DESTDIR="$D" >"$work/uninstall.out" 2>&1 ||
	{ cat "$work/uninstall.out"; fail "make uninstall DESTDIR=$D"; }
expect_eq "files left in the DESTDIR after uninstall" "$(find "$D" -mindepth 1 | wc -l)" 0
