#!/usr/bin/env bash
# The benchmark in one command: sets AstraAPI up (scripts/setup.sh), installs wrk and nginx from
# Debian's packages when missing, installs the peer frameworks into bench/.venv-peers (never into
# AstraAPI's .venv), then measures and prints the table. Arguments go to `python -m bench`:
#   bash bench/run.sh                      # full run (about 20-30 minutes), all targets
#   bash bench/run.sh --quick              # smoke check (1 s per route), under a minute
#   bash bench/run.sh --targets astraapi,fastapi,nginx
# Results: bench/results/<UTC timestamp>/results.md (+ results.json, raw/ wrk output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

bash scripts/setup.sh

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: please install ${missing[*]} (apt-get install ${missing[*]}) or run as root" >&2
    exit 2
  fi
  echo "bench: installing ${missing[*]} with apt-get"
  apt-get update -qq
  # RUNLEVEL=1 keeps the package scripts from starting a system nginx: the bench starts its own.
  RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

exec .venv/bin/python -m bench "$@"
