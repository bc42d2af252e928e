# lab: --cpu qemu64
# p2ptrace and p2ptop: bad input and unusable systems give one clear line and
# exit 2; no provider is only a warning.
. "$(dirname "$0")/../lib.sh"
lab_devices
err=$(mktemp)

# expect_usage WHAT PATTERN CMD...: exit 2, one line on stderr matching PATTERN
expect_usage() {
	local what=$1 pattern=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$err" || rc=$?
	[ $rc = 2 ] || { cat "$err"; fail "$what: exit $rc, want 2"; }
	[ "$(wc -l <"$err")" = 1 ] || { cat "$err"; fail "$what: want one line on stderr"; }
	grep -q "$pattern" "$err" || { cat "$err"; fail "$what: message does not say '$pattern'"; }
	ok "$what: $(cat "$err")"
}

expect_usage "bad PID" "bad PID" "$bin/p2ptrace" -p 12x
expect_usage "no such PID" "no process" "$bin/p2ptrace" -p 999999
expect_usage "bad disk" "not a block device" "$bin/p2ptrace" -d nvme9n9
expect_usage "bad provider" "neither a PCI address" "$bin/p2ptrace" -P nvme9
expect_usage "not a provider" "has no P2P memory" "$bin/p2ptrace" -P "$B"
expect_usage "bad events" "bad event list" "$bin/p2ptrace" -e io,bogus
expect_usage "bad duration" "bad duration" "$bin/p2ptrace" -D soon
expect_usage "extra argument" "unexpected argument" "$bin/p2ptrace" extra
expect_usage "not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2ptrace"

expect_usage "p2ptop: bad interval" "bad interval" "$bin/p2ptop" -b 0
expect_usage "p2ptop: bad count" "bad count" "$bin/p2ptop" -b 1 many
expect_usage "p2ptop: extra argument" "unexpected argument" "$bin/p2ptop" -b 1 2 3
expect_usage "p2ptop: bad rows" "bad row count" "$bin/p2ptop" -r -1
expect_usage "p2ptop: bad provider" "neither a PCI address" "$bin/p2ptop" -P nvme9
expect_usage "p2ptop: not a provider" "has no P2P memory" "$bin/p2ptop" -P "$B"
expect_usage "p2ptop: not root" "need root" setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/p2ptop" -b

# no provider: a warning, and the tools go on
echo "$A_BDF" >/sys/bus/pci/drivers/nvme/unbind
for tool in "p2ptrace -D 1" "p2ptop -b 1 1"; do
	rc=0
	$bin/$tool >"$err.out" 2>"$err" || rc=$?
	cat "$err"
	expect_eq "${tool%% *}: exit status without a provider" $rc 0
	grep -q "warning: no P2PDMA provider" "$err" || fail "${tool%% *}: no warning without a provider"
	ok "${tool%% *} warns when there is no provider"
done
echo "$A_BDF" >/sys/bus/pci/drivers/nvme/bind
