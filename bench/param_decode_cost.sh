#!/usr/bin/env bash
# Instructions per request (callgrind) that RoutePlan.solve spends on the parameters of
# bench/apps/params_app.py's GET /search/{kind} (path enum, header, cookie, list and constrained
# query parameters), on the generic path and with the generated request decoder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-2000}
export PYTHONHASHSEED=0  # the same interpreter work in every run
collected() {
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.param_decode_cost "$1" "$2" 2>&1) || {
    echo "bench/param_decode_cost.sh: the $1 run with N=$2 failed:" >&2
    echo "$out" | tail -20 >&2
    exit 1
  }
  echo "$out" | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for mode in generic compiled; do
  base=$(collected "$mode" 0)
  full=$(collected "$mode" "$N")
  echo "$mode: $(( (full - base) / N )) instructions per request (solve: path, query, header, cookie -> endpoint arguments)"
done
