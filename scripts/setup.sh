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
started=$(date +%s)
"$VPY" -m pip install -q --disable-pip-version-check --no-build-isolation -e ".[test,uvloop]"
"$VPY" -c "import astraapi._runtime, astraapi, sys; print('setup: astraapi', astraapi.__version__, 'ready in $VENV',
    'for Python %d.%d' % sys.version_info[:2], 'after $(( $(date +%s) - started ))s of install')"
