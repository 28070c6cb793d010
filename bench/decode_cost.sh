#!/usr/bin/env bash
# Instructions per request (callgrind) that RoutePlan.solve spends on POST /items' body, on the
# generic path and with the generated body decoder: load-independent, unlike requests/s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-2000}
MODULE=${MODULE:-bench.decode_cost}  # bench.decode_cost_wide: a body of the wider field types
export PYTHONHASHSEED=0  # the same interpreter work in every run
collected() {
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m "$MODULE" "$1" "$2" 2>&1) || {
    echo "bench/decode_cost.sh: the $1 run with N=$2 failed:" >&2
    echo "$out" | tail -20 >&2
    exit 1
  }
  echo "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for mode in generic compiled; do
  base=$(collected "$mode" 0)
  full=$(collected "$mode" "$N")
  echo "$mode: $(( (full - base) / N )) instructions per request (solve: body -> endpoint arguments)"
done
