# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# Unbinding the CMB device while a process holds a mapping returns within 5 s,
# the process then gets SIGBUS, and a rebind gives back the full pool.
. "$(dirname "$0")/../lib.sh"
lab_devices
avail0=$(cat "$P2PMEM/available")
size=1048576
out=$(mktemp)
"$bin/p2pcheck" hold --cdev "/dev/$A" --size $size >"$out" 2>&1 &
holder=$!
for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
grep -q ready "$out" || { cat "$out"; fail "the holder never got its mapping"; }
expect_eq "available while held" "$(cat "$P2PMEM/available")" $((avail0 - size))

start=$(date +%s%N)
(echo "$A_BDF" >/sys/bus/pci/drivers/nvme/unbind && touch "$out.unbound") &
for _ in $(seq 50); do [ -e "$out.unbound" ] && break; sleep 0.1; done
[ -e "$out.unbound" ] || fail "unbind of $A_BDF did not return within 5 s"
ok "unbind returned in $((($(date +%s%N) - start) / 1000000)) ms"
[ ! -e "$P2PMEM" ] || fail "$P2PMEM still exists after unbind"

kill -USR1 $holder
wait $holder || { cat "$out"; fail "the holder did not see SIGBUS"; }
cat "$out"

echo "$A_BDF" >/sys/bus/pci/drivers/nvme/bind
for _ in $(seq 100); do [ -e "$P2PMEM/available" ] && break; sleep 0.1; done
# the driver takes its queues from the CMB again during probe
for _ in $(seq 50); do [ "$(cat "$P2PMEM/available" 2>/dev/null)" = "$avail0" ] && break; sleep 0.1; done
expect_eq "available after rebind" "$(cat "$P2PMEM/available")" "$avail0"
lab_devices
"$bin/p2pcheck" copy --cdev "/dev/$A" --disk "$B_DISK" --size 1048576 --expect ok
