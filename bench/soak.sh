#!/usr/bin/env bash
# The soak campaign (issue 16): `ordo simulate` with its default market for a long time, in
# memory and durable, to show it holds its speed and memory. Reports the per-second rates
# (median of seconds 10-70 against the last 60), resident memory over time (and the long
# run's peak against a 60 s run's), table_full, the longest sequencer pause of any cause and
# the snapshot pauses (p50, max), and a 64-byte ring hop before and after (whether the host
# moved the vCPUs meanwhile).
# Usage: bench/soak.sh [BUILD_DIR] [MEMORY_SECONDS] [DURABLE_SECONDS] > soak.log
# Defaults: build 600 120: about 14 minutes, both cores. The durable run writes its journal
# (up to ~0.8 GB a second: it stops early when less than 10 GB stays free) under $TMPDIR,
# removed at the end.
set -uo pipefail
B=${1:-build}
memory_seconds=${2:-600}
durable_seconds=${3:-120}
ordo="$B/tools/ordo"
work=$(mktemp -d "${TMPDIR:-/tmp}/ordo-soak-XXXXXX")
trap 'rm -rf "$work"' EXIT
hop() {
  "$B/bench/ring_bench" --benchmark_filter='ring_hop_1p1c_64b/own/' 2>&1 |
    grep -o 'items_per_second=[0-9.]*[kMG]*' | head -1
}

echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null) on $(nproc) CPUs"
echo "== 64-byte hop before: $(hop)"
echo "== in memory, 60 s (the memory reference)"
"$ordo" simulate --seconds 60 --json > "$work/memory60.json" 2>/dev/null
echo "== in memory, $memory_seconds s"
"$ordo" simulate --seconds "$memory_seconds" --json > "$work/memory.json" 2>/dev/null
echo "== 64-byte hop after: $(hop)"
# The journal is never truncated: at full speed the durable run writes up to ~0.8 GB a second,
# more than many disks hold for 120 s. A watchdog ends the run early with SIGINT (which ends it
# as a timed end would: every command answered, the summary printed, "interrupted" true) when
# less than 10 GB stays free, rather than let it fail with ENOSPC on a shared disk.
echo "== durable, $durable_seconds s, a snapshot every 10 M commands"
"$ordo" simulate --seconds "$durable_seconds" --durability fdatasync --data "$work/d" \
  --snapshot-every 10000000 --json > "$work/durable.json" 2>/dev/null &
durable_pid=$!
while kill -0 "$durable_pid" 2>/dev/null; do
  free_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
  if [ "$free_kb" -lt $((10 * 1048576)) ]; then
    echo "== durable run stopped early: under 10 GB free under $work"
    kill -INT "$durable_pid"
    break
  fi
  sleep 1
done
wait "$durable_pid"
du -sh "$work/d/journal" "$work/d/snapshots" 2>/dev/null
rm -rf "$work/d"

python3 - "$work" <<'EOF'
import json, statistics, sys
work = sys.argv[1]
def load(name):
    with open(f"{work}/{name}.json") as f:
        return json.load(f)
def median(values):
    return statistics.median(values) if values else float("nan")
def report(name, run, reference=None):
    rates = run["per_second"]
    early = median(rates[10:70])
    late = median(rates[-60:])
    print(f"-- {name}: {run['commands']} commands in {run['seconds']:.1f} s, "
          f"{run['commands_per_s'] / 1e6:.2f} M/s")
    print(f"   per second (M): first {rates[0] / 1e6:.2f}, median 10-70 s {early / 1e6:.2f}, "
          f"median of the last 60 s {late / 1e6:.2f}: ratio {late / early:.3f} "
          f"({'held' if late >= 0.8 * early else 'FELL'}: target >= 0.8)")
    rss = run["rss_bytes_per_second"]
    every = max(1, len(rss) // 10)
    print("   resident MB over time: " +
          ", ".join(f"{s + 1}s {rss[s] / 1e6:.0f}" for s in range(0, len(rss), every)) +
          f", end {rss[-1] / 1e6:.0f}")
    print(f"   peak resident {run['max_rss_bytes'] / 1e6:.0f} MB", end="")
    if reference is not None:
        ratio = run["max_rss_bytes"] / reference["max_rss_bytes"]
        print(f", {ratio:.2f}x the 60 s run's {reference['max_rss_bytes'] / 1e6:.0f} MB "
              f"({'held' if ratio <= 1.3 else 'GREW'}: target <= 1.3)", end="")
    print()
    outcomes = run["outcomes"]
    print(f"   table_full {outcomes.get('table_full', 0)}; live reservations at the end "
          f"{run['live_reservations']}, at most {run['reservation_records']}")
    print(f"   longest sequencer pause (any cause) {run['sequencer_stall_ms_max']:.3f} ms")
    if run["snapshots"] > 0:
        print(f"   snapshots {run['snapshots']}: starting one paused the sequencer "
              f"p50 {run['snapshot_pause_ms_p50']:.3f} ms, max {run['snapshot_pause_ms_max']:.3f} ms "
              f"({'held' if run['snapshot_pause_ms_max'] <= 1.0 else 'OVER'}: target <= 1 ms); "
              f"chunks copied aside {run['snapshot_copied_chunks']}")
    print("   per second, all: " + " ".join(f"{r / 1e6:.1f}" for r in rates))
memory60 = load("memory60")
report("in memory, 60 s", memory60)
report("in memory", load("memory"), memory60)
durable = load("durable")
if durable.get("interrupted"):
    print(f"-- durable: stopped early for disk space after {durable['seconds']:.0f} s")
report("durable", durable)
EOF
