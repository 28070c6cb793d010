#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs the test suite on every supported Python found here.
# CI runs exactly this (.ci/run).
#
# - The whole suite on the main interpreter ($PYTHON, default python3) in .venv.
# - Then, for each other supported version found (3.11, 3.12, 3.13: python3.X on PATH, or pyenv's
#   $PYENV_ROOT/versions/3.X.*), a virtual environment .venv-3.X with its own native build, and the
#   tests of the layers whose code depends on the interpreter's version ($VERSION_SUBSET: the native
#   runtime and the encoder, the compiler and compiled mode, the engine, the served API; the
#   FastAPI-differential example apps of tests/compat run on the main interpreter only, as their
#   answers depend on the engine, which tests/engine and tests/api already run on each). Three whole
#   runs do not fit this machine's budget (see README, "Python versions"); ASTRAAPI_OTHER_PYTHONS=full
#   runs the whole suite on each instead.
# ASTRAAPI_PYTHONS="3.12 3.13" picks the other versions; ASTRAAPI_PYTHONS=none runs only the main one.
# CI stops a run at 90 minutes: another interpreter is started only while at least
# ASTRAAPI_PER_PYTHON_MINUTES (default 25: its native build and subset on a loaded two-core machine)
# remain of ASTRAAPI_TEST_BUDGET_MINUTES (default 85); one left out is named in a warning (the run
# does not fail for it: a run killed at 90 minutes would not report the rest either).
# Arguments go to every pytest run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSION_SUBSET=(tests/native tests/compiler tests/engine tests/api)
run_started=$(date +%s)

bash scripts/setup.sh
bash scripts/test-deps.sh

failed=0
run_pytest() {  # run_pytest LABEL PYTHON ARGS...: pytest, timed; exit 5 (nothing collected) is a failure
  local label=$1 py=$2
  shift 2
  local started status
  started=$(date +%s)
  set +e
  "$py" -m pytest "$@"
  status=$?
  set -e
  echo "test: $label: pytest exit $status after $(( $(date +%s) - started ))s"
  if [ "$status" -eq 5 ]; then
    echo "test: $label: pytest collected no tests: that is a failure here" >&2
    status=1
  fi
  [ "$status" -eq 0 ] || failed=1
}

main_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
run_pytest "Python $main_version (whole suite)" .venv/bin/python tests "$@"

find_python() {  # find_python 3.X: a python3.X executable, or nothing
  local version=$1 candidate
  if candidate=$(command -v "python$version" 2>/dev/null) && "$candidate" -c 'import venv' 2>/dev/null; then
    echo "$candidate"
    return
  fi
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python3; do
    if [ -x "$candidate" ]; then
      echo "$candidate"
      return
    fi
  done
}

others=${ASTRAAPI_PYTHONS:-3.11 3.12 3.13}
[ "$others" = "none" ] && others=""
for version in $others; do
  [ "$version" = "$main_version" ] && continue
  py=$(find_python "$version")
  if [ -z "$py" ]; then
    echo "test: Python $version is not installed here: skipped"
    continue
  fi
  elapsed=$(( ($(date +%s) - run_started) / 60 ))
  if [ $(( elapsed + ${ASTRAAPI_PER_PYTHON_MINUTES:-25} )) -gt "${ASTRAAPI_TEST_BUDGET_MINUTES:-85}" ]; then
    echo "test: WARNING: Python $version NOT tested: ${elapsed} minutes have passed and the budget is" \
         "${ASTRAAPI_TEST_BUDGET_MINUTES:-85} (the machine is slow or loaded); run ASTRAAPI_PYTHONS=$version bash scripts/test.sh" >&2
    continue
  fi
  venv=.venv-$version
  if ! PYTHON=$py VENV=$venv bash scripts/setup.sh; then
    echo "test: Python $version: setup failed" >&2
    failed=1
    continue
  fi
  if [ "${ASTRAAPI_OTHER_PYTHONS:-subset}" = "full" ]; then
    run_pytest "Python $version (whole suite)" "$venv/bin/python" tests "$@"
  else
    run_pytest "Python $version (${VERSION_SUBSET[*]})" "$venv/bin/python" "${VERSION_SUBSET[@]}" "$@"
  fi
done
exit "$failed"
