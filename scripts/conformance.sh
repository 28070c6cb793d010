#!/usr/bin/env bash
# FastAPI's own test suite against this checkout: how much of what FastAPI passes AstraAPI keeps.
#
#   scripts/conformance.sh                       # whole suite (long: ~15-30 min with both runs)
#   scripts/conformance.sh tests/test_ws_router.py -k depend   # a selection (pytest arguments; the
#                                                              # baseline then runs the same selection)
#
# What it does (everything under $CONFORMANCE_DIR, default /tmp/astraapi-conformance):
#  1. downloads the fastapi==$FASTAPI_VERSION sdist from PyPI (pip download) and takes its tests/,
#     docs_src/ and pyproject.toml (pytest settings: filterwarnings=error, ...);
#  2. two venvs with the suite's `tests` dependency group and fastapi[all]'s dependencies:
#     "baseline" with the real FastAPI, "astraapi" with this checkout and, instead of FastAPI, an
#     import alias (scripts/conformance_tool.py install-alias): `import fastapi.x` gives astraapi.x;
#  3. runs pytest in both (the baseline once, cached; BASELINE=1 reruns it), records outcomes, and
#     prints the kept % (baseline-passing tests that also pass here), per area.
# Uses the checkout's built native module when there is one (bash scripts/setup.sh), else pip installs it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FASTAPI_VERSION=${FASTAPI_VERSION:-0.165.0}
DIR=${CONFORMANCE_DIR:-/tmp/astraapi-conformance}
PY=${PYTHON:-python3}
TOOL="$ROOT/scripts/conformance_tool.py"
JOBS=${JOBS:-2}
mkdir -p "$DIR"

SUITE="$DIR/suite-$FASTAPI_VERSION"
if [ ! -d "$SUITE/tests" ]; then
  rm -rf "$DIR/dl" "$SUITE.tmp" && mkdir -p "$DIR/dl" "$SUITE.tmp"
  "$PY" -m pip download --quiet --no-binary :all: --no-deps "fastapi==$FASTAPI_VERSION" -d "$DIR/dl"
  tar -xzf "$DIR"/dl/fastapi-"$FASTAPI_VERSION".tar.gz -C "$DIR/dl"
  SRC="$DIR/dl/fastapi-$FASTAPI_VERSION"
  [ -d "$SRC/tests" ] || { echo "the fastapi $FASTAPI_VERSION sdist has no tests/" >&2; exit 2; }
  cp -r "$SRC/tests" "$SRC/docs_src" "$SRC/pyproject.toml" "$SUITE.tmp/"   # not its fastapi/ package
  mv "$SUITE.tmp" "$SUITE"
fi

make_venv() {  # make_venv NAME: a venv with the suite's dependencies (fastapi[all] included)
  local venv="$DIR/venv-$1"
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$PY" "$TOOL" test-deps "$SUITE/pyproject.toml" > "$DIR/test-deps.txt"
    "$venv/bin/python" -m pip install --quiet -r "$DIR/test-deps.txt" "fastapi[all]==$FASTAPI_VERSION" \
      pytest-timeout pytest-xdist orjson ujson
  fi
  echo "$venv"
}

run_suite() {  # run_suite VENV OUT [pytest args]: outcomes to OUT (nodeid<TAB>outcome)
  local venv=$1 out=$2; shift 2
  local paths=(tests)
  for a in "$@"; do case "$a" in tests|tests/*) paths=();; esac; done
  (cd "$SUITE" && PYTHONPATH="$SUITE/docs_src${EXTRA_PATH:+:$EXTRA_PATH}" "$venv/bin/python" -m pytest \
     -p no:cacheprovider --timeout=60 -n "$JOBS" --continue-on-collection-errors -q --tb=native \
     --junitxml="$out.xml" "${paths[@]}" "$@" > "$out.log" 2>&1) || true
  "$PY" "$TOOL" outcomes "$out.xml" "$out"
  tail -n 1 "$out.log"
}

BASE_VENV=$(make_venv baseline)
BASE_OUT="$DIR/results-fastapi-$FASTAPI_VERSION.txt"
if [ $# -gt 0 ]; then  # a selection: the baseline of the same selection
  BASE_OUT="$DIR/results-fastapi-$FASTAPI_VERSION-selection.txt"
  echo "baseline: the selection on FastAPI $FASTAPI_VERSION"
  EXTRA_PATH="" run_suite "$BASE_VENV" "$BASE_OUT" "$@"
elif [ ! -s "$BASE_OUT" ] || [ "${BASELINE:-0}" = 1 ]; then
  echo "baseline: FastAPI $FASTAPI_VERSION's suite on FastAPI (once; BASELINE=1 reruns it)"
  EXTRA_PATH="" run_suite "$BASE_VENV" "$BASE_OUT"
fi

OUR_VENV=$(make_venv astraapi)
"$OUR_VENV/bin/python" -m pip uninstall --quiet -y fastapi || true   # the alias answers `import fastapi`
if ls "$ROOT"/astraapi/_runtime*.so > /dev/null 2>&1; then
  # the checkout's own build: its runtime dependencies, the checkout on the path
  "$OUR_VENV/bin/python" -c "import tomllib,sys; print('\n'.join(tomllib.load(open(sys.argv[1],'rb'))['project']['dependencies']))" \
    "$ROOT/pyproject.toml" > "$DIR/astraapi-deps.txt"
  "$OUR_VENV/bin/python" -m pip install --quiet -r "$DIR/astraapi-deps.txt"
  OUR_PATH="$ROOT"
else
  "$OUR_VENV/bin/python" -m pip install --quiet "$ROOT"
  OUR_PATH=""
fi
"$PY" "$TOOL" install-alias "$("$OUR_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
OUT="$DIR/results-astraapi.txt"
echo "astraapi: FastAPI $FASTAPI_VERSION's suite on $ROOT"
EXTRA_PATH="$OUR_PATH" run_suite "$OUR_VENV" "$OUT" "$@"
"$PY" "$TOOL" report "$OUT" "$BASE_OUT"
