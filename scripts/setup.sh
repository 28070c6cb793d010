#!/usr/bin/env bash
# Sets up everything AstraAPI needs on a fresh machine of this kind (Debian 12, Python >= 3.11):
# system packages when missing, a virtual environment in .venv, and the package itself installed
# editable with its native runtime built (the build caches in build/, so a rerun takes seconds).
# PYTHON: the interpreter for a new virtual environment (default: python3); VENV: its folder
# (default: .venv). scripts/test.sh makes one per supported interpreter (.venv-3.12, .venv-3.13):
# each has its own native build (build/<wheel tag>/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
VPY=$VENV/bin/python
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
# Build requirements, installed here so the editable install can build without isolation
# (and so rebuild incrementally in build/).
# setuptools: sdists among the dependencies (openapi-ui-bundles) build without isolation too (Python 3.12+ venvs lack it)
"$VPY" -m pip install -q --disable-pip-version-check "scikit-build-core>=0.11" "pybind11>=2.12" "cmake>=3.26" ninja setuptools wheel
echo "setup: building and installing astraapi into $VENV (native runtime included; the first build takes minutes)"
tag=$("$VPY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
fresh=true
compgen -G "build/$tag-*/CMakeCache.txt" >/dev/null && fresh=false
log=$VENV/astraapi-install.log
started=$(date +%s)
# pip -v shows the build backend's output; only its progress is shown here (what the native build
# fetches, configures and compiles: cmake/native_deps.py's lines, cmake's status lines, ninja's
# [n/N] counter); the whole output is in $log, and its end is printed when the install fails.
set +e
"$VPY" -m pip install -v --disable-pip-version-check --no-build-isolation -e ".[test,uvloop]" 2>&1 | tee "$log" |
  grep --line-buffered -E "astraapi native deps:|^ *-- (Found|The C|Build files|Configuring done)|^ *\[[0-9]+/[0-9]+\] |^\*\*\* |error:" |
  sed -u -E 's/^ +//; s/^/  build: /'
status=${PIPESTATUS[0]}
set -e
seconds=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "setup: installing astraapi failed (exit $status); the whole output is in $log" >&2
  exit "$status"
fi
printf '{"seconds": %s, "fresh_native_build": %s, "python": "%s"}\n' "$seconds" "$fresh" "$tag" > "$VENV/astraapi-install.json"
"$VPY" -c "import astraapi._runtime, astraapi, sys; print('setup: astraapi', astraapi.__version__, 'ready in $VENV',
    'for Python %d.%d' % sys.version_info[:2], 'after ${seconds}s of install ($([ $fresh = true ] && echo 'a fresh native build' || echo 'an incremental native build'))')"
