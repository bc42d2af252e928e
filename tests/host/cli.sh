# Every tool: -h, -?, --help, --usage and --version print to stdout and exit
# 0; every usage error is one line on stderr and exit 2, before any BPF is
# loaded (so this runs on the build host). The help names no bug address
# that does not exist.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build
bad=0
fail() { echo "FAIL: $*"; bad=1; }

for tool in p2ptrace p2ptop p2pio p2pdoctor; do
	for opt in -h -? --help --usage --version; do
		out=$("$bin/$tool" "$opt" 2>/dev/null)
		rc=$?
		[ $rc = 0 ] && [ -n "$out" ] || fail "$tool $opt: exit $rc, $(wc -c <<<"$out") bytes"
	done
	"$bin/$tool" --help | grep -q "^Usage: $tool" || fail "$tool --help has no usage line"
	"$bin/$tool" --help | grep -qi "report bugs" && fail "$tool --help names a bug address"
	[ "$("$bin/$tool" --version)" = "$tool 0.2" ] || fail "$tool --version"
done

# usage_error WHAT PATTERN CMD...: exit 2 and one line on stderr matching PATTERN
usage_error() {
	local what=$1 pattern=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc != 2 ] || [ "$(wc -l <<<"$err")" != 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
		fail "$what: exit $rc, stderr: $err"
	else
		echo "ok: $what: $err"
	fi
}
for tool in p2ptrace p2ptop p2pio; do
	usage_error "$tool: unknown option" "option '--bogus' is unknown" "$bin/$tool" --bogus
	usage_error "$tool: unknown short option" "option '-Z' is unknown" "$bin/$tool" -Z
done
usage_error "p2ptrace: option without its value" "option '-D' is unknown or lacks its value" "$bin/p2ptrace" -D
usage_error "p2ptrace: bad PID" "bad PID" "$bin/p2ptrace" -p 12x
usage_error "p2ptrace: bad events" "bad event list" "$bin/p2ptrace" -e io,bogus
usage_error "p2ptrace: bad duration" "bad duration" "$bin/p2ptrace" -D soon
usage_error "p2ptrace: duration out of range" "bad duration" "$bin/p2ptrace" -D 1e-300
usage_error "p2ptrace: extra argument" "unexpected argument" "$bin/p2ptrace" extra
usage_error "p2ptop: zero interval" "bad interval" "$bin/p2ptop" -b 0
usage_error "p2ptop: tiny interval" "bad interval" "$bin/p2ptop" -b 1e-300
usage_error "p2ptop: interval beyond a day" "bad interval" "$bin/p2ptop" -b 2200000
usage_error "p2ptop: bad count" "bad count" "$bin/p2ptop" -b 1 many
usage_error "p2ptop: extra argument" "unexpected argument" "$bin/p2ptop" -b 1 2 3
usage_error "p2ptop: bad rows" "bad row count" "$bin/p2ptop" -r -1
usage_error "p2ptop: bad output format" "bad output format 'xml'" "$bin/p2ptop" -o xml
usage_error "p2ptop: -j with -o openmetrics" "different outputs" "$bin/p2ptop" -j -o openmetrics
usage_error "p2ptop: --textfile with -o json" "openmetrics output only" "$bin/p2ptop" -o json --textfile /tmp
usage_error "p2ptop: --textfile with -j" "openmetrics output only" "$bin/p2ptop" -j --textfile /tmp
usage_error "p2ptop: --textfile not there" "No such file or directory" "$bin/p2ptop" --textfile /nonexistent/dir
usage_error "p2ptop: --textfile a file" "not a directory" "$bin/p2ptop" --textfile /etc/hostname
usage_error "p2pio: chunk above one I/O" "above the 2147479552 bytes one I/O can carry" "$bin/p2pio" -c 4096M /dev/null /dev/null
usage_error "p2pio: chunk of 3 GiB" "above the 2147479552 bytes" "$bin/p2pio" -c 3072M /dev/null /dev/null
usage_error "p2pio: chunk not of pages" "not a multiple of 4096" "$bin/p2pio" -c 1000 /dev/null /dev/null
usage_error "p2pio: bad chunk" "bad chunk size" "$bin/p2pio" -c 2T /dev/null /dev/null
usage_error "p2pio: one device" "need SRC and DST" "$bin/p2pio" /dev/null
usage_error "p2pio: not a block device" "not a block device" "$bin/p2pio" /dev/null /dev/null
exit $bad
