#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs the whole test suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/test-deps.sh
set +e
.venv/bin/python -m pytest tests "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test: pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
