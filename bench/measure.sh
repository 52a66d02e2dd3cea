#!/usr/bin/env bash
# The campaign behind bench/RESULTS.md and the README's "Current figures": every row's
# command, in one run, so the figures compare.
# Usage: bench/measure.sh [BUILD_DIR] > measured.log   (about 8 minutes; uses both cores and
# writes ~3 GB to a temporary directory under $TMPDIR, removed at the end).
set -uo pipefail
B=${1:-build}
ordo="$B/tools/ordo"
data=$(mktemp -d "${TMPDIR:-/tmp}/ordo-measure-XXXXXX")
trap 'rm -rf "$data"' EXIT
rate() { python3 -c "import json,sys; print(round(json.load(sys.stdin)['commands_per_s']/1e6,2))"; }
durable() { rm -rf "$data/d"; "$ordo" simulate --json --durability fdatasync --data "$data/d" "$@" 2>/dev/null; }

echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null)"
echo "== ring_bench"
"$B/bench/ring_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_enable_random_interleaving=true 2>&1 | grep median
echo "== in-memory simulate against the 64-byte hop (own ring), alternating, M/s"
for i in $(seq 9); do
  hop=$("$B/bench/ring_bench" --benchmark_filter='ring_hop_1p1c_64b/own/' 2>&1 |
        grep -o 'items_per_second=[0-9.]*M' | grep -o '[0-9.]*')
  sim=$("$ordo" simulate --json 2>/dev/null | rate)
  echo "pair $i hop $hop simulate $sim ratio $(python3 -c "print(round($sim / $hop, 2))")"
done
echo "== simulate in memory / durable (fdatasync, no snapshots), 10M commands, alternating"
for i in $(seq 9); do
  echo "pair $i memory $("$ordo" simulate --json 2>/dev/null | rate) durable $(durable --snapshot-every 0 | rate)"
done
echo "== durable, snapshots every 1M commands"; durable --snapshot-every 1000000; echo
echo "== durable, 30M commands, default snapshots"; durable --commands 30000000; echo
echo "== own vs boost ring, alternating"
for i in $(seq 7); do
  echo "own $("$ordo" simulate --json --ring own 2>/dev/null | rate) boost $("$ordo" simulate --json --ring boost 2>/dev/null | rate)"
done
echo "== 2 producers"; for i in 1 2 3; do "$ordo" simulate --json --producers 2 2>/dev/null | rate; done
echo "== default run"; "$ordo" simulate --json 2>/dev/null; echo
echo "== 20M commands"; "$ordo" simulate --json --commands 20000000 2>/dev/null; echo
echo "== simulate_bench"
"$B/bench/simulate_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>&1 | grep median
echo "== domain_bench"; "$B/bench/domain_bench" 2>&1 | grep domain_
echo "== idle_bench"; "$B/bench/idle_bench" 2>&1 | grep idle
echo "== recovery_bench"; "$B/bench/recovery_bench" 2>&1 | grep recovery_
echo "== commit_bench: engine commit latency, open loop, rate x flush delay"
"$B/bench/commit_bench" 2>&1 | grep -E '^commit_paced'
echo "== journal_bench: writer vs raw, prezeroed vs fallocated, mechanisms, verify"
"$B/bench/journal_bench" --benchmark_filter='commit_latency_raw|commit_mechanism_ratio|verify' 2>&1 |
  grep -E '^(commit|verify)'
# A p99 of one 2-second repetition is its ~10th-worst commit: one disk stall on either side
# moves it 2-10x. The median of five repetitions is the figure; cv shows the spread.
echo "== journal_bench: commit p99 ratio, median (and cv) of 5 repetitions"
"$B/bench/journal_bench" --benchmark_filter='commit_p99_ratio' --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true 2>&1 | grep -E '_(median|cv) ' |
  grep -oE '^commit_p99_ratio/[a-z_]+/batch_bytes:[0-9]+/in_flight:[0-9]+|real_time_(median|cv)|p99_ratio=[0-9.%]+|raw_latency_us_p99=[0-9.k]+' |
  paste - - - -
