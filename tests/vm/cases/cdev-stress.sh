# lab: --cpu qemu64 --kernel debug
# On the debug kernel (KASAN, lockdep, DEBUG_VM): O_DIRECT writes from the CMB
# to the peer at queue depth 32 while two storms of other processes map,
# touch, and munmap or exit with CMB mappings; then the CMB's device is
# unbound mid-stream. No kernel report, every process ends with a clean error
# or SIGBUS, and after a rebind the whole pool is free again.
. "$(dirname "$0")/../lib.sh"
lab_devices
avail0=$(cat "$P2PMEM/available")
work=$(mktemp -d)
"$bin/p2pcheck" stream --cdev "/dev/$A" --disk "$B_DISK" --size 65536 --depth 32 \
	--duration 300 --until-error >"$work/stream" 2>&1 &
streamer=$!
storms=()
for i in 1 2; do
	"$bin/p2pcheck" storm --cdev "/dev/$A" --size 65536 --duration 300 --until-error \
		>"$work/storm$i" 2>&1 &
	storms+=($!)
done
for f in stream storm1 storm2; do
	for _ in $(seq 600); do grep -Eq 'streaming|storming' "$work/$f" && break; sleep 0.1; done
	grep -Eq 'streaming|storming' "$work/$f" || { cat "$work/$f"; fail "$f never got going"; }
done
ok "streaming at depth 32 with two storms under way"
sleep 5

unbind_provider 30

wait $streamer || { cat "$work/stream"; fail "the streamer did not end cleanly"; }
for i in 0 1; do
	wait "${storms[$i]}" || { cat "$work/storm$((i + 1))"; fail "storm $((i + 1)) did not end cleanly"; }
done
cat "$work/stream" "$work/storm1" "$work/storm2"

rebind_provider "$avail0" 30
