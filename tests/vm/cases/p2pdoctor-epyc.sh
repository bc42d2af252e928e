# lab: --cpu EPYC
# lab: --cpu EPYC --kernel debian
# With an AMD Zen CPU, cpu_supports_p2pdma() lets A<->C through the host
# bridge: p2pdoctor says THRU_HOST_BRIDGE with the CPU rule, every pair can
# do P2P (exit 0), and in the same boot the kernel copies (and, with our
# series, reports its map types) exactly so.
. "$(dirname "$0")/../lib.sh"
lab_devices
work=$(mktemp -d)
rc=0
"$bin/p2pdoctor" >"$work/out" || rc=$?
cat "$work/out"
expect_eq "exit status (every pair can)" $rc 0
"$bin/p2pdoctor" -j >"$work/json"
pair() { jq -r --arg p "$1" --arg c "$2" ".pairs[] | select(.provider == \$p and .client == \$c) | $3" "$work/json"; }
expect_eq "CPU rule" "$(jq -r .kernel.cpu_supports_p2pdma "$work/json")" true
expect_eq "A<->B" "$(pair "$A_BDF" "$B_BDF" '"\(.map_type) \(.distance)"')" "BUS_ADDR 4"
expect_eq "A<->C" "$(pair "$A_BDF" "$C_BDF" '"\(.map_type) \(.distance) \(.cpu_rule)"')" "THRU_HOST_BRIDGE 5 true"
expect_eq "A<->C reason" "$(pair "$A_BDF" "$C_BDF" .reason)" \
	"no common upstream bridge; AuthenticAMD family 0x17 CPU (Zen or later) allows any host bridge"

t=/sys/kernel/tracing
if has_our_series; then
	echo 1 >$t/events/p2pdma/p2pdma_map_type/enable
	: >$t/trace
fi
for x in B C; do
	"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$(eval echo "\$${x}_DISK")" --size 1048576 --expect ok
	ok "A<->$x: predicted $(pair "$A_BDF" "$(eval echo "\$${x}_BDF")" .map_type), copy ok"
done
if has_our_series; then
	echo 0 >$t/events/p2pdma/p2pdma_map_type/enable
	for x in B C; do
		bdf=$(eval echo "\$${x}_BDF")
		seen=$(sed -n "s/.*p2pdma_map_type: provider=$A_BDF client=$bdf type=\([A-Z_]*\) .*/\1/p" $t/trace |
			sort -u | tr '\n' ' ')
		expect_eq "the kernel's map type for A<->$x" "$seen" "$(pair "$A_BDF" "$bdf" .map_type) "
	done
fi
