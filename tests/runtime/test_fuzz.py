"""The libFuzzer target (runtime_cpp/fuzz/) builds and runs clean for a few seconds.

Skipped when clang or its libFuzzer runtime is not installed (tests never install packages):
    apt-get install -y clang libclang-rt-14-dev
The long run is documented in docs/http-hardening.md.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "runtime_cpp" / "fuzz"


def _libfuzzer_available() -> str | None:
    clang = shutil.which("clang")
    if not clang or not shutil.which("clang++"):
        return "clang is not installed (apt-get install -y clang libclang-rt-14-dev)"
    lib = subprocess.run([clang, "-print-file-name=libclang_rt.fuzzer-x86_64.a"], capture_output=True, text=True)
    if not Path(lib.stdout.strip()).is_file():
        return "clang's libFuzzer runtime is not installed (apt-get install -y libclang-rt-14-dev)"
    return None


def test_fuzz_target_runs_clean(tmp_path):
    why = _libfuzzer_available()
    if why:
        pytest.skip(why)
    build = subprocess.run(["bash", str(FUZZ / "build.sh"), str(tmp_path)], capture_output=True, text=True,
                           timeout=600, cwd=ROOT)
    assert build.returncode == 0, build.stdout + build.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    run = subprocess.run(
        [str(tmp_path / "fuzz_server"), "-max_total_time=5", "-timeout=10", "-rss_limit_mb=2048",
         f"-dict={FUZZ / 'http.dict'}", str(corpus), str(FUZZ / "seeds")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Done" in run.stderr
