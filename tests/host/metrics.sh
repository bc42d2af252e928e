# p2ptop's Prometheus metrics as the real consumers read them, on the build
# host: promtool (Debian's prometheus package) accepts the unit test's fake
# model, hostile label values included, with no lint complaint.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v promtool >/dev/null || { echo "FAIL: promtool not found: apt-get install prometheus"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$top/build/unit/metrics" --print >"$out" || { echo "FAIL: build/unit/metrics --print"; exit 1; }
grep -q '^p2pdma_cmb_used_bytes{provider="0000:03:00.0"} 131072$' "$out" ||
	{ echo "FAIL: the fake model's metrics lack the used bytes"; exit 1; }
lint=$(promtool check metrics <"$out" 2>&1)
rc=$?
[ $rc = 0 ] && [ -z "$lint" ] || { echo "FAIL: promtool check metrics: exit $rc: $lint"; exit 1; }
echo "ok: promtool check metrics accepts $(grep -c '^p2pdma_' "$out") samples"

# the alert rules: promtool accepts them, and P2PDMAIOMMUFaults fires on a
# pair's growing p2pdma_dma_faults_total, not on a flat one
lint=$(promtool check rules "$top/docs/fleet.rules.yml" 2>&1) ||
	{ echo "FAIL: promtool check rules: $lint"; exit 1; }
echo "ok: promtool check rules accepts docs/fleet.rules.yml"
tests=$(mktemp --suffix=.yml)
trap 'rm -f "$out" "$tests"' EXIT
cat >"$tests" <<YML
rule_files: [$top/docs/fleet.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'p2pdma_dma_faults_total{instance="h1",provider="0000:03:00.0",client="0000:04:00.0"}'
        values: '0 0 0 3 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5'
      - series: 'p2pdma_dma_faults_total{instance="h1",provider="0000:03:00.0",client="0000:05:00.0"}'
        values: '0x20'
    alert_rule_test:
      - eval_time: 2m
        alertname: P2PDMAIOMMUFaults
        exp_alerts: []
      - eval_time: 5m
        alertname: P2PDMAIOMMUFaults
        exp_alerts:
          - exp_labels: { severity: critical, instance: h1, provider: "0000:03:00.0", client: "0000:04:00.0" }
            exp_annotations:
              summary: "The IOMMU on h1 blocks P2P DMA of 0000:04:00.0 into 0000:03:00.0"
              description: "5 IOMMU faults in the last 10 minutes on the BARs of provider 0000:03:00.0 by 0000:04:00.0's DMA: the data did not arrive, whatever the I/O reported. p2pdoctor warns about the pair and says the fixes (iommu=pt, an identity domain, ACS redirect)."
      - eval_time: 19m
        alertname: P2PDMAIOMMUFaults
        exp_alerts: []
YML
res=$(promtool test rules "$tests" 2>&1) || { echo "FAIL: promtool test rules: $res"; exit 1; }
echo "ok: P2PDMAIOMMUFaults fires for the faulting pair only, and clears"
