#!/usr/bin/env bash
# Runs every libFuzzer program of a fuzz build for a while, each from its seed corpus, and
# fails on the first finding. Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...]
#   BUILD_DIR: configured with -DORDO_FUZZ=ON (tests/fuzz/README.md); SECONDS: per target.
# New inputs go to a scratch corpus (the seeds in the repository stay as they are); a crash
# leaves its input in BUILD_DIR/fuzz-artifacts/ and the libFuzzer report on stderr. Prints
# one summary line per target: executions, executions per second, corpus size.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...]}
seconds=${2:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...]}
shift 2
names=("$@")
if ((${#names[@]} == 0)); then
  for program in "$build"/tests/fuzz/fuzz_*; do names+=("$(basename "$program" | sed 's/^fuzz_//')"); done
fi
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
for name in "${names[@]}"; do
  program="$build/tests/fuzz/fuzz_$name"
  [ -x "$program" ] || { echo "fuzz: no program $program" >&2; exit 1; }
  scratch=$(mktemp -d)
  log="$artifacts/$name.log"
  echo "== fuzz_$name: ${seconds} s from tests/fuzz/corpus/$name"
  status=0
  "$program" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$name-" -print_final_stats=1 \
    "$scratch" "tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$scratch" -type f | wc -l)
  rm -rf "$scratch"
  if ((status != 0)); then
    tail -60 "$log" >&2
    echo "fuzz_$name: FINDING (exit $status); input in $artifacts/, log $log" >&2
    exit 1
  fi
  echo "fuzz_$name: ${runs:-?} executions, ${rate:-?} per second, $corpus new corpus inputs, no finding"
done
