"""The WebSocket frame parser's libFuzzer target (runtime_cpp/fuzz/fuzz_websocket.cpp) builds and
runs clean for a few seconds. Skipped without clang's libFuzzer runtime
(apt-get install -y clang libclang-rt-14-dev)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _libfuzzer_missing() -> str | None:
    clang = shutil.which("clang")
    if not clang or not shutil.which("clang++"):
        return "clang is not installed"
    lib = subprocess.run([clang, "-print-file-name=libclang_rt.fuzzer-x86_64.a"], capture_output=True, text=True)
    if not Path(lib.stdout.strip()).is_file():
        return "clang's libFuzzer runtime is not installed"
    return None


def test_websocket_fuzz_target_runs_clean(tmp_path):
    why = _libfuzzer_missing()
    if why:
        pytest.skip(why)
    binary = tmp_path / "fuzz_websocket"
    build = subprocess.run(
        ["clang++", "-std=c++20", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=undefined",
         "-g", "-O1", "-Iruntime_cpp/src", "runtime_cpp/fuzz/fuzz_websocket.cpp", "runtime_cpp/src/http/websocket.cpp",
         "-o", str(binary)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert build.returncode == 0, build.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    run = subprocess.run([str(binary), "-max_total_time=5", "-timeout=10", "-rss_limit_mb=2048", str(corpus)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Done" in run.stderr
