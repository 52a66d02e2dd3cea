#!/usr/bin/env bash
# The module graph, checked over every project include line (CI runs it; the build's
# per-module include directories enforce the same graph at compile time, this names the
# offending line). A module may include its own headers and those of the modules it
# depends on:
#   base         -> (nothing)
#   journal      -> base
#   engine/schema-> base
#   engine       -> engine/schema, journal, base
#   projections  -> engine/schema, journal, base
#   tools, tests, bench -> anything
set -euo pipefail
cd "$(dirname "$0")/.."

module_of() {  # path -> module name
  case "$1" in
    base/*) echo base ;;
    journal/*) echo journal ;;
    engine/schema/*) echo schema ;;
    engine/*) echo engine ;;
    projections/*) echo projections ;;
    *) echo free ;;
  esac
}
allowed() {  # module -> modules it may include
  case "$1" in
    base) echo "base" ;;
    journal) echo "journal base" ;;
    schema) echo "schema base" ;;
    engine) echo "engine schema journal base" ;;
    projections) echo "projections schema journal base" ;;
  esac
}

failures=0
while IFS= read -r file; do
  from=$(module_of "$file")
  [ "$from" = free ] && continue
  ok=" $(allowed "$from") "
  while IFS= read -r line; do
    target=${line#*\"}
    target=${target%%\"*}
    to=$(module_of "$target")
    if [ "$to" = free ]; then
      case "$target" in
        tools/*|tests/*|bench/*) ;;  # a library reaching into tools, tests or bench
        *) continue ;;               # not a project path: a system or package header
      esac
    fi
    if [[ "$ok" != *" $to "* ]]; then
      echo "layering: $file includes \"$target\" ($from may not depend on ${to/free/$target})"
      failures=$((failures + 1))
    fi
  done < <(grep -E '^\s*#\s*include\s+"' "$file" || true)
done < <(git ls-files '*.h' '*.cpp' '*.hpp' '*.cc')

if ((failures)); then
  echo "layering: $failures include(s) cross the module graph (README, Layout)" >&2
  exit 1
fi
echo "layering: every include follows the module graph"
