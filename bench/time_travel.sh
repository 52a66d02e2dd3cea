#!/usr/bin/env bash
# Time travel over a long history (issue 17 item 5): wall seconds of `ordo state
# --until-command N` and of `ordo query history --until-command N` (a reservation's and a
# conference's stream, read from the history checkpoint) at random points N, page cache
# warm. Prints each point and the p50 and max per kind.
# Usage: bench/time_travel.sh BUILD_DIR DIR [POINTS [SEED]]
#   DIR: a data directory with a long history, e.g. made by
#     ordo simulate --commands 100000000 --durability fdatasync --data DIR \
#       --snapshot-every 10000000 --snapshot-keep 12
#   and its history checkpoint at the end: ordo query history --data DIR --conference 1
set -euo pipefail
B=$1
D=$2
points=${3:-20}
seed=${4:-7}
ordo="$B/tools/ordo"
last=$("$ordo" state --data "$D" | python3 -c "import json,sys; print(json.load(sys.stdin)['commands'])")
seconds() { local s=$EPOCHREALTIME; "$@" > /dev/null 2>&1; python3 -c "print(round($EPOCHREALTIME - $s, 3))"; }
python3 -c "import random; random.seed($seed); print(*[random.randint(1, $last - 1) for _ in range($points)])" |
  tr ' ' '\n' > "${TMPDIR:-/tmp}/ordo-points.$$"
{
  while read -r n; do
    echo "state $n $(seconds "$ordo" state --data "$D" --until-command "$n")"
    echo "history-reservation $n $(seconds "$ordo" query history --data "$D" --reservation $((n % 50000 + 1)) --until-command "$n")"
    echo "history-conference $n $(seconds "$ordo" query history --data "$D" --conference $((n % 20 + 1)) --until-command "$n")"
  done < "${TMPDIR:-/tmp}/ordo-points.$$"
} | tee "${TMPDIR:-/tmp}/ordo-times.$$"
rm -f "${TMPDIR:-/tmp}/ordo-points.$$"
python3 - "${TMPDIR:-/tmp}/ordo-times.$$" <<'PY'
import statistics, sys, collections
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kind, _, s = line.split()
    times[kind].append(float(s))
for kind, t in times.items():
    print(f"{kind}: p50 {statistics.median(t):.2f} s, max {max(t):.2f} s over {len(t)} points")
PY
rm -f "${TMPDIR:-/tmp}/ordo-times.$$"
