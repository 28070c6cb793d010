#!/usr/bin/env bash
# Installs the system programs some tests drive, when they are missing and apt-get can install them:
#   chromium                   renders /docs and /redoc headless (tests/openapi/test_docs_offline.py)
#   wrk                        the benchmark's smoke test (tests/bench)
#   clang, libclang-rt-14-dev  the libFuzzer target's short run (tests/runtime/test_fuzz.py)
# A test whose program is still missing afterwards is skipped and says why; this script says so too.
# ASTRAAPI_NO_TEST_DEPS=1 skips the step.
set -uo pipefail
[ "${ASTRAAPI_NO_TEST_DEPS:-0}" = "1" ] && exit 0

wanted=()
command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
command -v wrk >/dev/null 2>&1 || wanted+=(wrk)
command -v clang++ >/dev/null 2>&1 || wanted+=(clang)
if command -v clang++ >/dev/null 2>&1 || [[ " ${wanted[*]} " == *" clang "* ]]; then
  dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || wanted+=(libclang-rt-14-dev)
fi
[ ${#wanted[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${wanted[*]} and cannot install them here (needs root and apt-get); their tests will skip" >&2
  exit 0
fi
echo "test-deps: installing ${wanted[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null; }; then
  echo "test-deps: apt-get could not install ${wanted[*]}; their tests will skip" >&2
fi
exit 0
