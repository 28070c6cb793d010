#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh), compiles the example app and serves it in compiled mode.
# HOST and PORT choose where it listens (default 127.0.0.1:8000); WORKERS how many processes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
.venv/bin/astraapi build examples.items_api:app
exec .venv/bin/astraapi run examples.items_api:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
  --workers "${WORKERS:-1}"
