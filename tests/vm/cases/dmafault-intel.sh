# lab: --cpu qemu64 --iommu intel
# lab: --cpu qemu64 --iommu intel --kernel stock
# lab: --cpu qemu64 --iommu intel --kernel debian
# Behind QEMU's intel-iommu the kernel maps B -> A's CMB BUS_ADDR and the
# vIOMMU drops B's writes into the CMB with a DMAR fault (see
# p2pio-pattern-iommu). p2ptrace shows each fault the IOMMU recorded as a
# dmafault event: provider A, client B, a write into A's BAR 2, reason 5,
# in text and JSON, from no process; at least as many as the kernel log
# has DMAR fault lines (the log is rate limited, the hook is not), each
# logged address among them, and exactly as many when the log suppressed
# nothing. p2ptop counts as many for the pair and its provider (JSON, the
# batch text, p2pdma_dma_faults_total), and p2pdoctor warns about the pair
# and reports the log's faults. Then a burst of faults: more events than
# the rate-limited log has lines. The DMAR lines are expected here;
# tests/vm/run takes any other kernel report for a failure.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../p2ptrace-lib.sh"
lab_devices
work=$(mktemp -d)
expect_eq "DMAR faults before the copy" "$(dmar_fault_lines | wc -l)" 0
read -r lo hi < <(bar_range "$A_BDF" 2)

trace_start json -j -v
trace_start text -e dmafault
trace_start fail -x
trace_start pid -p $$
"$bin/p2ptop" -j 1 >"$work/top.json" 2>"$work/top.err" &
top=$!
"$bin/p2ptop" -b 1 >"$work/top.txt" 2>"$work/btop.err" &
btop=$!
"$bin/p2ptop" -o openmetrics 1 >"$work/top.prom" 2>"$work/mtop.err" &
mtop=$!
for _ in $(seq 600); do [ -s "$work/top.json" ] && [ -s "$work/top.txt" ] && [ -s "$work/top.prom" ] && break; sleep 0.1; done
[ -s "$work/top.json" ] || { cat "$work/top.err"; fail "p2ptop -j printed nothing"; }
grep -qE "^p2ptrace: dmafault +fentry/dmar_fault$" "$work/json.err" ||
	{ cat "$work/json.err"; fail "p2ptrace -v does not name the dmafault hook"; }
# the handler's loop where ___ratelimit can be traced, else the entry
# snapshot with the printed fault lines it missed counted lost
loop=$(grep -oE "^p2ptrace: +(fentry|kprobe)/___ratelimit$|^p2ptrace: +tp_btf/console$" "$work/json.err" | awk '{ print $2 }')
[ -n "$loop" ] || { cat "$work/json.err"; fail "p2ptrace -v names neither ___ratelimit (the handler's loop) nor the console (the snapshot's misses)"; }
grep "tried.*___ratelimit" "$work/json.err" || true
grep -qE "^p2ptrace: +tp_btf/io_page_fault$" "$work/json.err" ||
	{ cat "$work/json.err"; fail "p2ptrace -v does not name the io_page_fault hook"; }
ok "p2ptrace -v: dmafault on fentry/dmar_fault, $loop and tp_btf/io_page_fault"

rc=0
"$bin/p2pio" -n 16 --verify --pattern --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >"$work/io.txt" 2>&1 || rc=$?
expect_eq "the pattern copy B -> A fails (the vIOMMU dropped it)" $rc 1
n=$(dmar_faults_settled)
sleep 2.5
for t in json text fail pid; do trace_stop $t; done
kill -INT $top $btop $mtop
wait $top || fail "p2ptop -j exited with $?"
wait $btop || fail "p2ptop -b exited with $?"
wait $mtop || fail "p2ptop -o openmetrics exited with $?"
dmar_fault_lines
grep -E "dmar_fault: [0-9]+ callbacks suppressed|DRHD: handling fault status reg" <(dmesg) || true
[ "$n" -ge 1 ] || fail "no DMAR fault in dmesg"

jq -e . "$work/json.out" >/dev/null || fail "p2ptrace -j output is not JSON lines"
m=$(jcount json '.event == "dmafault"')
jq -M -c 'select(.event == "dmafault") | [.ts, .provider, .client, .direction, .address, .bar, .reason]' "$work/json.out"
ok "$m dmafault events, $n DMAR fault lines in the log"
expect_eq "dmafault events not B's write into A's BAR 2 (reason 5, no task)" \
	"$(jcount json ".event == \"dmafault\" and (.provider != \"$A_BDF\" or .client != \"$B_BDF\" or .direction != \"write\" or .bar != 2 or .iommu != \"intel\" or .reason != 5 or .reason_text != \"PTE Write access is not set\" or .result != \"blocked\" or .pid != 0 or .comm != \"\" or .address < $lo or .address > $hi)")" 0
lost=$(jq -r 'select(.summary) | .summary.lost.iommu' "$work/json.out")
# every fault the log shows is in the trace, or counted lost
missing=0
for addr in $(dmar_fault_lines | sed -n 's/.* fault addr \(0x[0-9a-f]*\) .*/\1/p' | sort -u); do
	[ "$(jcount json ".event == \"dmafault\" and .address == $((addr))")" -ge 1 ] ||
		{ echo "the logged fault at $addr is not in the trace"; missing=$((missing + 1)); }
done
[ "$missing" -le "$lost" ] || fail "$missing logged faults are not in the trace, $lost counted lost"
ok "every logged fault address is in the trace ($missing missing, $lost counted lost)"
expect_eq "faults outside the providers' BARs" "$(jq -r 'select(.summary) | .summary.dmafaults_other' "$work/json.out")" 0
expect_eq "ring buffer drops" "$(jq -r 'select(.summary) | .summary.drops' "$work/json.out")" 0
# the rate limit (10 calls in 5 s, 3 per fault interrupt: 3 fault lines)
# hides lines, never events; the copy takes well under 5 s
if [ $((m + lost)) -le 3 ]; then
	expect_eq "dmafault events + lost (the log's rate limit hid none)" $((m + lost)) "$n"
else
	[ $((m + lost)) -ge "$n" ] || fail "$m dmafault events and $lost lost, fewer than the $n DMAR lines"
	ok "$m dmafault events, $lost lost, the log rate limited to $n lines"
fi
echo "IOMMU fault log overflows: $lost"

# text, -x and -p
expect_eq "text dmafault lines" "$(tcount text dmafault)" "$m"
expect_eq "text lines of other events (-e dmafault)" "$(awk '$2 ~ /^[0-9]+$/ && $4 != "dmafault"' "$work/text.out" | wc -l)" 0
grep -E " dmafault " "$work/text.out" | head -n 3
expect_eq "text lines not B's write into A's BAR 2" \
	"$(awk -v b="${B_BDF}" '$2 ~ /^[0-9]+$/ && $4 == "dmafault"' "$work/text.out" |
		grep -vcE "^[0-9.]+ +0 - +dmafault $A +[^ ]+ +- +- +- blocked: write at 0x[0-9a-f]+ \(BAR 2\): PTE Write access is not set \(DMAR fault reason 0x05\)$")" 0
expect_eq "-x shows them (a blocked DMA is a failure)" "$(tcount fail dmafault)" "$m"
expect_eq "-p shows none (no process's)" "$(tcount pid dmafault)" 0
grep -q "^IOMMU faults outside the providers' BARs" "$work/text.out" && fail "the text summary reports faults outside the BARs"
ok "text, -x and -p"

# p2ptop: the pair's and the provider's faults, as many as the trace's
last() { tail -n 1 "$work/top.json" | jq -M -c "$1"; }
expect_eq "p2ptop: A's dma_faults" "$(last ".providers[] | select(.bdf == \"$A_BDF\") | .dma_faults")" "$m"
expect_eq "p2ptop: the pair A, B" \
	"$(last ".pairs[] | select(.provider == \"$A_BDF\" and .client == \"$B_BDF\") | [.map_type, .dma_faults, .dma_write_faults, .dma_read_faults]")" \
	"[\"BUS_ADDR\",$m,$m,0]"
expect_eq "p2ptop: other pairs' faults" "$(last "[.pairs[] | select(.client != \"$B_BDF\") | .dma_faults] | add // 0")" 0
rate=$(jq -M -s "[.[] | .interval as \$t | .providers[] | select(.bdf == \"$A_BDF\") | .dma_faults_per_s * \$t] | add | round" "$work/top.json")
expect_eq "p2ptop: sum of dma_faults_per_s x interval" "$rate" "$m"
expect_eq "p2ptop: IOMMU log overflows" "$(last .lost.iommu)" "$lost"
grep -Eq "^$A_BDF +$A .* [0-9]+\.[0-9]$" "$work/top.txt" || { tail -n 20 "$work/top.txt"; fail "no provider row"; }
awk -v a="$A_BDF" '$1 == a && $NF + 0 > 0' "$work/top.txt" | grep -q . ||
	{ tail -n 20 "$work/top.txt"; fail "batch output never showed A's DMAFLT/s above 0"; }
ok "batch output shows A's DMA faults per second"
prom_last=$(awk '/^# EOF/ { n++ } END { print n }' "$work/top.prom")
series=$(awk -v n="$prom_last" '/^# EOF/ { k++; next } k == n - 1 && /^p2pdma_dma_faults_total\{/' "$work/top.prom")
echo "$series"
expect_eq "p2pdma_dma_faults_total for A, B" \
	"$(grep -c "^p2pdma_dma_faults_total{provider=\"$A_BDF\",client=\"$B_BDF\"} $m\$" <<<"$series")" 1
expect_eq "p2pdma_dma_faults_tracked" "$(grep -c '^p2pdma_dma_faults_tracked 1$' "$work/top.prom")" "$prom_last"

# p2pdoctor: the warning on the pair, and the log's faults on A's BAR by B
rc=0
"$bin/p2pdoctor" -j -d "$A,$B,$C" >"$work/doctor.json" || rc=$?
expect_eq "p2pdoctor: exit status (A<->C cannot)" $rc 1
pair() { jq -r --arg p "$A_BDF" --arg c "$B_BDF" ".pairs[] | select(.provider == \$p and .client == \$c) | $1" "$work/doctor.json"; }
case $(pair .warning) in
"the IOMMU translates DMA of $B_BDF, but a BUS_ADDR mapping is not in its domain"*) ok "p2pdoctor warns about A<->B" ;;
*) fail "p2pdoctor's A<->B warning: '$(pair .warning)'" ;;
esac
expect_eq "p2pdoctor: A<->B's faults (the log's)" "$(pair .iommu_faults)" "$n"
echo "dmafault: p2ptrace $m, p2ptop $m, DMAR lines $n, overflows $lost"

# The log's rate limit (10 calls in 5 s, 3 per fault interrupt: at most 3
# fault lines in 5 s) hides faults; the hook, before it, does not. After
# a quiet 6 s, 8 single-chunk copies B -> A in a row, each faulting anew
# unless QEMU collapses it into a pending fault: more events than lines.
sleep 6
before=$(dmar_fault_lines | wc -l)
trace_start burst -j
for _ in $(seq 8); do
	"$bin/p2pio" -n 1 --pattern --verify --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >/dev/null 2>&1 && fail "a copy B -> A verified behind the vIOMMU"
done
sleep 1
trace_stop burst
m2=$(jcount burst '.event == "dmafault" and .client == "'"$B_BDF"'" and .provider == "'"$A_BDF"'"')
n2=$(($(dmar_fault_lines | wc -l) - before))
lost2=$(jq -r 'select(.summary) | .summary.lost.iommu' "$work/burst.out")
echo "burst: $m2 dmafault events, $lost2 lost, $n2 DMAR fault lines"
[ "$m2" -gt "$n2" ] || fail "the burst: $m2 dmafault events, not more than the log's $n2 lines (QEMU collapsed the faults, or the copies were too slow for the rate limit)"
ok "the burst: $m2 faults traced, $n2 in the log (rate limited)"
expect_eq "burst: ring buffer drops" "$(jq -r 'select(.summary) | .summary.drops' "$work/burst.out")" 0
# the rate limit says what it hid at the next call after its 5 s
sleep 5.5
"$bin/p2pio" -n 1 --pattern --verify --sysfs "$A_BDF" "$B_DISK" "$A_DISK" >/dev/null 2>&1 || true
for _ in $(seq 20); do dmesg | grep -qE "dmar_fault: [0-9]+ callbacks suppressed" && break; sleep 0.5; done
dmesg | grep -E "dmar_fault: [0-9]+ callbacks suppressed" || fail "the log never said it suppressed lines"
ok "the log says it suppressed lines"
echo "dmafault burst: p2ptrace $m2, lost $lost2, DMAR lines $n2"
