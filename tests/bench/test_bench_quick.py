"""The benchmark works: its quick mode, on the AstraAPI targets only, produces the table.
A smoke test: it asserts nothing about timings. Skipped where wrk is not installed (the test
installs nothing; `bash bench/run.sh` does)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.mark.skipif(shutil.which("wrk") is None or shutil.which("taskset") is None,
                    reason="wrk (or taskset) is not installed: bash bench/run.sh installs it")
def test_quick_bench_prints_a_table(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--targets", "astraapi", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = (tmp_path / "results.md").read_text()
    assert "| AstraAPI compiled |" in table and "| AstraAPI dynamic |" in table
    assert "| AstraAPI compiled |" in done.stdout
    assert list((tmp_path / "raw").glob("astraapi-compiled-w1-hello-run1.txt"))


def test_fastapi_twin_is_the_same_source_with_the_import_changed():
    from bench.apps import SOURCE, generate_fastapi_twin

    twin = generate_fastapi_twin().read_text()
    assert "from fastapi import FastAPI" in twin
    assert twin.splitlines()[1:] == SOURCE.read_text().replace("from astraapi", "from fastapi").splitlines()


WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   520.11us   80.02us   3.10ms   90.00%
    Req/Sec   120.00k     2.00k  125.00k    70.00%
  Latency Distribution
     50%  510.00us
     75%  540.00us
     90%  600.00us
     99%    1.20ms
  597000 requests in 5.00s, 80.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec: 119400.00
Transfer/sec:     16.00MB
"""


def test_wrk_output_is_parsed():
    from bench.loadgen import parse

    result = parse(WRK_OUTPUT)
    assert (result.requests, result.seconds, result.rps) == (597000, 5.0, 119400.0)
    assert (result.p50_ms, result.p99_ms, result.errors) == (0.51, 1.2, 7)
