#!/usr/bin/env bash
# Sets up everything AstraAPI needs on a fresh machine of this kind (Debian 12, Python >= 3.11):
# system packages when missing, a virtual environment in .venv, and the package itself installed
# editable with its native runtime built (the build caches in build/, so a rerun takes seconds).
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
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
VPY=.venv/bin/python
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
# Build requirements, installed here so the editable install can build without isolation
# (and so rebuild incrementally in build/).
# setuptools: sdists among the dependencies (openapi-ui-bundles) build without isolation too (Python 3.12+ venvs lack it)
"$VPY" -m pip install -q --disable-pip-version-check "scikit-build-core>=0.11" "pybind11>=2.12" "cmake>=3.26" ninja setuptools wheel
echo "setup: building and installing astraapi (native runtime included)"
"$VPY" -m pip install -q --disable-pip-version-check --no-build-isolation -e ".[test,uvloop]"
"$VPY" -c "import astraapi._runtime, astraapi; print('setup: astraapi', astraapi.__version__, 'ready in .venv')"
