#!/usr/bin/env bash
# Follower and query figures behind bench/RESULTS.md ("Projections at journal speed"):
# 1. follow_bench: replay alone against the four projections catching up from 0, over the
#    same journal in alternating repetitions (records/s and the ratio);
# 2. `ordo follow --exit-at-end --json` from zero on a durable DIR (checkpoints removed
#    before each run), the way a user runs it, checkpoints included in its time;
# 3. query latency from the checkpoints that left: each query RUNS times, p50 and max ms;
# 4. the same once the journal goes on after the checkpoints (one more command, as on a DIR
#    a writer is writing): queries then read their checkpoint and apply the journal after it.
# Usage: bench/follow.sh [BUILD_DIR] [COMMANDS] [RUNS]   (defaults: build 3000000 5)
# FOLLOW_BENCH=0 skips step 1 (for the query latencies of a long history alone).
set -euo pipefail
B=${1:-build}
commands=${2:-3000000}
runs=${3:-5}
ordo="$B/tools/ordo"
data=$(mktemp -d "${TMPDIR:-/tmp}/ordo-follow-XXXXXX")
trap 'rm -rf "$data"' EXIT

echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null) load: $(uptime)"
if [ "${FOLLOW_BENCH:-1}" != 0 ]; then
  echo "== follow_bench, $commands commands"
  ORDO_FOLLOW_BENCH_COMMANDS=$commands "$B/bench/follow_bench" 2>&1 | grep -E '^follow_'
fi

echo "== ordo follow --exit-at-end from zero, $commands commands"
"$ordo" simulate --commands "$commands" --durability fdatasync --data "$data/d" --json \
  >/dev/null 2>&1
for i in $(seq "$runs"); do
  rm -rf "$data/d/projections"
  start=$(date +%s%N)
  summary=$("$ordo" follow --data "$data/d" --exit-at-end --json)
  end=$(date +%s%N)
  echo "run $i wall_ms $(( (end - start) / 1000000 )) $summary"
done
du -sb "$data/d/projections"/* | sed 's/^/checkpoint bytes /'

echo "== query latency from the checkpoints, $runs runs each, ms"
query() {
  local times=()
  for i in $(seq "$runs"); do
    start=$(date +%s%N)
    "$ordo" query "$@" --data "$data/d" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  p50=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
  max=$(echo "$sorted" | tail -1)
  echo "query $* p50 $p50 max $max"
}
query availability
query customer --customer 1
query history --reservation 1
query history --conference 1
query sales --conference 1

echo "== query latency with the journal past the checkpoints, $runs runs each, ms"
echo '{"op":"reserve","t":4000000000,"conference":999999999,"reservation":999999999,"customer":1,"seats":{"1":1}}' \
  > "$data/one.jsonl"
"$ordo" run --workload "$data/one.jsonl" --data "$data/d" >/dev/null
query customer --customer 1
query history --reservation 1
query history --conference 1
query sales --conference 1
