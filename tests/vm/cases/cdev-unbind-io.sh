# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# Unbinding the CMB's device while a process streams O_DIRECT writes from the
# CMB to the peer: unbind waits for the I/O in flight (memunmap_pages() waits
# for its pinned pages) and returns within 5 s, the streamer gets an error or
# SIGBUS, and a rebind gives back the whole pool.
. "$(dirname "$0")/../lib.sh"
lab_devices
avail0=$(cat "$P2PMEM/available")
out=$(mktemp)
"$bin/p2pcheck" stream --cdev "/dev/$A" --disk "$B_DISK" --size 65536 --depth 32 \
	--duration 120 --until-error >"$out" 2>&1 &
streamer=$!
for _ in $(seq 300); do grep -q streaming "$out" && break; sleep 0.1; done
grep -q streaming "$out" || { cat "$out"; fail "the streamer never got going"; }
sleep 1

unbind_provider 5 "with O_DIRECT in flight"

wait $streamer || { cat "$out"; fail "the streamer did not end with an error or SIGBUS"; }
cat "$out"

rebind_provider "$avail0" 10
