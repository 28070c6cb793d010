#!/usr/bin/env bash
# Builds the libFuzzer target build/fuzz/fuzz_server (clang, -fsanitize=fuzzer,address,undefined;
# LeakSanitizer runs with AddressSanitizer). Needs clang and its runtime:
#   apt-get install -y clang libclang-rt-14-dev     (Debian 12; or the matching version)
# llhttp comes from the same pinned sdist as the module build (cmake/native_deps.py, cached).
#
# Usage: runtime_cpp/fuzz/build.sh [output-dir]      (default: build/fuzz)
# Run:   build/fuzz/fuzz_server -max_total_time=600 -jobs=1 build/fuzz/corpus runtime_cpp/fuzz/seeds
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/build/fuzz}")"
CXX="${CXX_FUZZ:-$(command -v clang++ || true)}"
CC="${CC_FUZZ:-$(command -v clang || true)}"
if [ -z "$CXX" ] || [ -z "$CC" ]; then
  echo "fuzz/build.sh: clang is not installed (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT/obj"
# Reuse the module build's download cache when there is one (no second download).
CACHE="$OUT/_deps"
for d in "$ROOT"/build/*/_deps; do [ -d "$d/src" ] && CACHE="$d" && break; done
"$PY" "$ROOT/cmake/native_deps.py" --cache-dir "$CACHE" --cmake-out "$OUT/native_deps.cmake" >/dev/null
LLHTTP_INC=$(sed -n 's/^set(ASTRA_LLHTTP_INCLUDE_DIR \[\[\(.*\)\]\])$/\1/p' "$OUT/native_deps.cmake")
LLHTTP_SRC=$(sed -n 's/^set(ASTRA_LLHTTP_SOURCES \(.*\))$/\1/p' "$OUT/native_deps.cmake" | sed 's/\[\[//g; s/\]\]//g')
DEFLATE_INC=$(sed -n 's/^set(ASTRA_LIBDEFLATE_INCLUDE_DIR \[\[\(.*\)\]\])$/\1/p' "$OUT/native_deps.cmake")
DEFLATE_LIB=$(sed -n 's/^set(ASTRA_LIBDEFLATE_LIBRARY \[\[\(.*\)\]\])$/\1/p' "$OUT/native_deps.cmake")
DEFLATE_SRC=$(sed -n 's/^set(ASTRA_LIBDEFLATE_SOURCES \(.*\))$/\1/p' "$OUT/native_deps.cmake" | sed 's/\[\[//g; s/\]\]//g')
if [ -z "$LLHTTP_INC" ] || [ -z "$LLHTTP_SRC" ]; then
  echo "fuzz/build.sh: could not read llhttp's location from $OUT/native_deps.cmake" >&2
  exit 1
fi
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
objs=()
for src in $LLHTTP_SRC; do
  o="$OUT/obj/llhttp_$(basename "$src" .c).o"
  "$CC" $SAN -fsanitize=fuzzer-no-link -w -c "$src" -I"$LLHTTP_INC" -o "$o"
  objs+=("$o")
done
# libdeflate: the system's static library, or its sources (uninstrumented: it is not under test);
# zlib: the system's (-lz), as the module links it.
deflate=()
if [ -n "$DEFLATE_LIB" ]; then
  deflate=("$DEFLATE_LIB")
else
  for src in $DEFLATE_SRC; do
    o="$OUT/obj/deflate_$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
    "$CC" -O2 -w -c "$src" -I"$DEFLATE_INC" -o "$o"
    deflate+=("$o")
  done
fi
cd "$ROOT"
# The whole server core: every source under http/ (server.cpp and its parts, see server.h), and
# what it uses from net/, app/ (the router) and codec/ (gzip).
SRCS=(runtime_cpp/fuzz/fuzz_server.cpp runtime_cpp/src/http/*.cpp runtime_cpp/src/net/reactor.cpp
      runtime_cpp/src/net/socket.cpp runtime_cpp/src/app/router.cpp runtime_cpp/src/codec/gzip.cpp)
# The shared constants' C++ side, generated from astraapi/_runtime_contract.py as the module build does.
"$PY" cmake/gen_contract.py "$OUT/generated/astraapi_contract.h"
"$CXX" -std=c++20 $SAN -Iruntime_cpp/include -Iruntime_cpp/src -I"$OUT/generated" -isystem "$LLHTTP_INC" -isystem "$DEFLATE_INC" \
  "${SRCS[@]}" "${objs[@]}" "${deflate[@]}" -lz -o "$OUT/fuzz_server"
echo "$OUT/fuzz_server"
