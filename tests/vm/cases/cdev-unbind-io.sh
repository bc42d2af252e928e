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

start=$(date +%s%N)
(echo "$A_BDF" >/sys/bus/pci/drivers/nvme/unbind && touch "$out.unbound") &
for _ in $(seq 50); do [ -e "$out.unbound" ] && break; sleep 0.1; done
[ -e "$out.unbound" ] || fail "unbind of $A_BDF did not return within 5 s"
ok "unbind returned in $((($(date +%s%N) - start) / 1000000)) ms with O_DIRECT in flight"

wait $streamer || { cat "$out"; fail "the streamer did not end with an error or SIGBUS"; }
cat "$out"

echo "$A_BDF" >/sys/bus/pci/drivers/nvme/bind
for _ in $(seq 100); do [ -e "$P2PMEM/available" ] && break; sleep 0.1; done
for _ in $(seq 50); do [ "$(cat "$P2PMEM/available" 2>/dev/null)" = "$avail0" ] && break; sleep 0.1; done
expect_eq "available after rebind" "$(cat "$P2PMEM/available")" "$avail0"
lab_devices
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 1048576 --expect ok
