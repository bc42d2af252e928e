# lab: --cpu qemu64 --kernel debian
# lab: --cpu qemu64 --kernel patched
# Fleet metrics end to end with Debian's own Prometheus components: p2ptop
# writes the textfile, promtool accepts it, node_exporter's textfile
# collector serves it, a Prometheus server scrapes node_exporter, and its
# HTTP API returns the CMB bytes a process holds (2 MiB) and the fallbacks of
# one refused sysfs copy (2: its read and its write), and the latency
# histogram of one P2P copy (its read and its write, 2 I/Os), of which
# histogram_quantile() gives a p50 and a p99; the fallback alert of
# docs/fleet.rules.yml fires, and the missing-metrics one once p2ptop has
# stopped. Everything listens on loopback only and is gone afterwards, the
# textfile with it.
. "$(dirname "$0")/../lib.sh"
lab_devices
[ -r /proc/net/tcp ] || fail "this kernel has no TCP/IP (CONFIG_INET is not set): node_exporter and Prometheus cannot listen"
for b in promtool prometheus prometheus-node-exporter curl ss; do
	command -v $b >/dev/null || fail "$b not found: make deps installs it"
done
ip link set lo up
work=$(mktemp -d)
mkdir "$work/textfile"
held=$((2 * 1048576))
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_all EXIT

# a free loopback port, for each server
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ne_port=$(free_port)
prom_port=$(free_port)
[ "$ne_port" != "$prom_port" ] || prom_port=$(free_port)

# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" && return 0
		sleep 0.5
	done
	fail "$what: not within $secs s"
}

# two 1 MiB mappings held for the whole test: the CMB bytes in use
"$bin/p2pcheck" occupy --sysfs "$A_BDF" --size 1048576 --maps 2 >"$work/occ.out" &
holder=$!
pids+=($holder)
wait_for 10 "the holder's mappings" grep -q ready "$work/occ.out"

"$bin/p2ptop" -o openmetrics --textfile "$work/textfile" 1 2>"$work/top.err" &
p2ptop_pid=$!
pids+=($p2ptop_pid)
prom=$work/textfile/p2pdma.prom
wait_for 120 "p2ptop's first textfile" test -s "$prom"

prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$work/textfile" >"$work/ne.log" 2>&1 &
pids+=($!)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $top/docs/fleet.rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOF
promtool check config "$work/prometheus.yml" >/dev/null || fail "promtool check config rejects the generated config"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" >"$work/prom.log" 2>&1 &
pids+=($!)

# query PROMQL: the value of its single result, or nothing
query() {
	curl -sf -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'select(.status == "success") | .data.result | if length == 1 then .[0].value[1] else empty end'
}
is() { [ "$(query "$1")" = "$2" ]; }
a="provider=\"$A_BDF\""

# Prometheus has the counters at 0 before the workload, so increase() sees it
wait_for 180 "Prometheus scraping the provider's fallbacks at 0 (log: $(tail -n 3 "$work/prom.log"))" \
	is "p2pdma_fallbacks_total{$a}" 0
ok "Prometheus scrapes node_exporter, which serves p2ptop's textfile"

"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$C_DISK" --size 65536 --expect refused >/dev/null
"$bin/p2pcheck" copy --sysfs "$A_BDF" --disk "$B_DISK" --size 65536 --expect ok >/dev/null
b="$a,client=\"$B_BDF\""

wait_for 60 "the refused copy's 2 fallbacks in the textfile" \
	grep -qx "p2pdma_fallbacks_total{$a} 2" "$prom"
timed() { grep "^p2pdma_io_latency_seconds_count{$b,map_type=\"BUS_ADDR\"" "$prom" | awk '{ s += $2 } END { print s + 0 }'; }
timed_both() { [ "$(timed)" = 2 ]; }
wait_for 60 "the P2P copy's 2 timed I/Os in the textfile" timed_both
lint=$(promtool check metrics <"$prom" 2>&1) || fail "promtool check metrics: $lint"
[ -z "$lint" ] || fail "promtool check metrics complains: $lint"
ok "promtool check metrics accepts the textfile ($(grep -c '^p2pdma_' "$prom") samples)"
served=$(curl -sf "http://127.0.0.1:$ne_port/metrics") || fail "node_exporter does not answer"
grep -qx "p2pdma_fallbacks_total{$a} 2" <<<"$served" || fail "node_exporter does not serve the 2 fallbacks"
expect_eq "node_exporter's textfile errors" "$(sed -n 's/^node_textfile_scrape_error //p' <<<"$served")" 0

wait_for 60 "Prometheus returning 2 fallbacks (got '$(query "p2pdma_fallbacks_total{$a}")')" \
	is "p2pdma_fallbacks_total{$a}" 2
expect_eq "Prometheus: p2pdma_fallbacks_total" "$(query "p2pdma_fallbacks_total{$a}")" 2
expect_eq "Prometheus: p2pdma_cmb_used_bytes" "$(query "p2pdma_cmb_used_bytes{$a}")" $held
expect_eq "Prometheus: the refused pair's fallbacks" \
	"$(query "p2pdma_pair_fallbacks_total{$a,client=\"$C_BDF\"}")" 2
wait_for 60 "Prometheus returning the P2P copy's 2 timed I/Os" \
	is "sum(p2pdma_io_latency_seconds_count{$b})" 2
for q in 0.5 0.99; do
	v=$(query "histogram_quantile($q, sum by (le) (p2pdma_io_latency_seconds_bucket{$b}))")
	# a number inside the finite buckets: above 0 and at most 2^26 us
	awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9.e+-]+$/ && v + 0 > 0 && v + 0 <= 67.108864) }' ||
		fail "histogram_quantile($q) of the pair's I/O latency: got '$v'"
	ok "Prometheus: histogram_quantile($q) of the A -> B latency is $v s"
done
expect_eq "Prometheus: the refused pair's reason" \
	"$(curl -sf -G "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode "query=p2pdma_pair_info{$a,client=\"$C_BDF\"}" |
		jq -r '.data.result[0].metric | "\(.map_type): \(.reason)"')" \
	"NOT_SUPPORTED: no common upstream bridge; host bridge 8086:29c0 not on the allowlist"

# alert NAME JQ-CONDITION: the state of that alert
alert() {
	curl -sf "http://127.0.0.1:$prom_port/api/v1/alerts" |
		jq -r ".data.alerts[] | select(.labels.alertname == \"$1\" and $2) | .state"
}
fb_alert() { alert P2PDMAFallbacks ".labels.provider == \"$A_BDF\""; }
# the state is asked at every try of wait_for, not once when it is called
fb_firing() { [ "$(fb_alert)" = firing ]; }
wait_for 60 "the P2PDMAFallbacks alert firing" fb_firing
ok "docs/fleet.rules.yml: P2PDMAFallbacks fires for $A_BDF"
promtool check rules "$top/docs/fleet.rules.yml" >/dev/null || fail "promtool check rules rejects docs/fleet.rules.yml"
ok "promtool check rules accepts docs/fleet.rules.yml"

# every listening socket is on loopback: the two servers' and no other
expect_eq "listening sockets" "$(ss -Hltnu | awk '{ print $5 }' | sort | paste -sd ' ')" \
	"$(printf '%s\n' "127.0.0.1:$ne_port" "127.0.0.1:$prom_port" | sort | paste -sd ' ')"

# stop everything; p2ptop takes its textfile with it
kill -TERM "$p2ptop_pid"
wait "$p2ptop_pid" || fail "p2ptop exited with $? on SIGTERM: $(cat "$work/top.err")"
[ ! -e "$prom" ] || fail "p2ptop left $prom behind"
ok "p2ptop stopped on SIGTERM and removed its textfile"
# with the file gone, Prometheus sees p2ptop's series end: the rule for a
# machine without P2PDMA metrics starts its 10 minutes
missing() { alert P2PDMAMetricsMissing ".labels.instance == \"127.0.0.1:$ne_port\""; }
missing_pending() { [ "$(missing)" = pending ]; }
wait_for 60 "P2PDMAMetricsMissing pending" missing_pending
ok "docs/fleet.rules.yml: P2PDMAMetricsMissing is pending once p2ptop has stopped"
stop_all
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
trap - EXIT
expect_eq "listening sockets after the stop" "$(ss -Hltnu | wc -l)" 0
