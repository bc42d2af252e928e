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

unbind_provider 5
[ ! -e "$P2PMEM" ] || fail "$P2PMEM still exists after unbind"

kill -USR1 $holder
wait $holder || { cat "$out"; fail "the holder did not see SIGBUS"; }
cat "$out"

rebind_provider "$avail0" 10
