# lab: --cpu qemu64
# lab: --cpu qemu64 --kernel debug
# pci_p2pdma_distance_many() decisions are traced (p2pdma:p2pdma_distance).
# The NVMe target's p2pmem namespace attribute asks them: a namespace on the
# peer under the switch can use the CMB (BUS_ADDR), one on the root-bus NVMe
# cannot and is refused, and "p2pmem=1" finds the CMB by distance.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
[ -d /sys/kernel/config/nvmet ] || mount -t configfs none /sys/kernel/config ||
	fail "cannot mount configfs"
nvmet=/sys/kernel/config/nvmet
[ -d $nvmet ] || fail "no $nvmet: the kernel lacks CONFIG_NVME_TARGET"
sub=$nvmet/subsystems/p2pscope
mkdir $sub $sub/namespaces/1 $sub/namespaces/2
echo "$B_DISK" >$sub/namespaces/1/device_path
echo "$A_BDF" >$sub/namespaces/1/p2pmem
echo "$C_DISK" >$sub/namespaces/2/device_path
echo "$A_BDF" >$sub/namespaces/2/p2pmem

perf record -q -a -e p2pdma:p2pdma_distance -o "$work/perf.data" -- sh -c "
	echo 1 >$sub/namespaces/1/enable || echo 'ns 1 refused' >&2
	echo 1 >$sub/namespaces/2/enable 2>/dev/null && echo 'ns 2 enabled' >&2
	echo 0 >$sub/namespaces/1/enable
	echo 1 >$sub/namespaces/1/p2pmem
	echo 1 >$sub/namespaces/1/enable || echo 'ns 1 with p2pmem=1 refused' >&2
	true" 2>"$work/enable.err"
cat "$work/enable.err"
expect_eq "namespace 1 (peer, p2pmem=1) enabled" "$(cat $sub/namespaces/1/enable)" 1
expect_eq "namespace 2 (root bus) enabled" "$(cat $sub/namespaces/2/enable)" 0
[ ! -s "$work/enable.err" ] || fail "enable went wrong: $(cat "$work/enable.err")"
echo 0 >$sub/namespaces/1/enable
rmdir $sub/namespaces/1 $sub/namespaces/2 $sub

perf script -i "$work/perf.data" >"$work/script.txt" 2>/dev/null
cat "$work/script.txt"
grep -o 'p2pdma_distance: .*' "$work/script.txt" >"$work/events"
expect_eq "distance events" "$(wc -l <"$work/events")" 3
b=$(sed -n 1p "$work/events")
case $b in
"p2pdma_distance: provider=$A_BDF client=$B_BDF type=BUS_ADDR distance="[0-9]*) ;;
*) fail "first decision: '$b', want $A_BDF to $B_BDF BUS_ADDR" ;;
esac
expect_eq "second decision" "$(sed -n 2p "$work/events")" \
	"p2pdma_distance: provider=$A_BDF client=$C_BDF type=NOT_SUPPORTED distance=-1"
expect_eq "third decision (p2pmem=1 finds the CMB)" "$(sed -n 3p "$work/events")" "$b"
