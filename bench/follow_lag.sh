#!/usr/bin/env bash
# A follower's lag behind a writer at a fixed rate (bench/RESULTS.md, "A follower beside the
# writer"): `ordo simulate --rate R --seconds S --durability fdatasync --data D` with `ordo
# follow --data D --json` started as soon as D/manifest exists and stopped (SIGTERM) 1 s
# after the writer ended. Prints the writer's and the follower's JSON summaries.
# Usage: bench/follow_lag.sh [BUILD_DIR] [RATE] [SECONDS]   (defaults: build 1000000 20)
# Environment: FOLLOW_PREFIX runs the follower under a command (e.g. 'nice -n -20');
# FOLLOW_FLAGS adds follow flags (e.g. '--checkpoint-every 0'); FOLLOW_DELAY_S starts the
# follower that many seconds after the manifest appears; FOLLOW_ERR keeps its stderr;
# WRITER_FLAGS adds simulate flags (e.g. '--snapshot-every 0').
set -euo pipefail
B=${1:-build}
rate=${2:-1000000}
seconds=${3:-20}
ordo="$B/tools/ordo"
data=$(mktemp -d "${TMPDIR:-/tmp}/ordo-lag-XXXXXX")
trap 'rm -rf "$data"' EXIT
echo "== $(date -u) commit $(git rev-parse --short HEAD 2>/dev/null) load: $(uptime)"
"$ordo" simulate --rate "$rate" --seconds "$seconds" --durability fdatasync --data "$data/d" \
  --json ${WRITER_FLAGS:-} > "$data/writer.json" 2>/dev/null &
writer=$!
until [ -e "$data/d/manifest" ]; do sleep 0.001; done
sleep "${FOLLOW_DELAY_S:-0}"
${FOLLOW_PREFIX:-} "$ordo" follow --data "$data/d" --json ${FOLLOW_FLAGS:-} > "$data/follower.json" 2>${FOLLOW_ERR:-/dev/null} &
follower=$!
wait "$writer"
sleep 1
kill -TERM "$follower"
wait "$follower" || true
echo "writer: $(cat "$data/writer.json")"
echo "follower: $(cat "$data/follower.json")"
