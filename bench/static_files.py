"""Static files: the server's CPU time per download, AstraAPI (StaticFiles over sendfile(2)) vs
FastAPI on uvicorn, for a small and a large file, on one keep-alive connection each.

    .venv/bin/python -m bench.static_files [--small N] [--large N]

CPU time is read from /proc (user + system of the server process), so it measures the server's
work even though the Python client here is the slower side; wall time is reported for reference
only. Both servers run one worker on 127.0.0.1; each is stopped by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

APP = '''
import os
from {package} import FastAPI
from {package}.staticfiles import StaticFiles
app = FastAPI()
app.mount("/static", StaticFiles(directory=os.environ["BENCH_STATIC"]), name="static")
'''


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(command: list[str], cwd: Path, env: dict, pattern: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(pattern, line)
        if match:
            # keep reading its output, or a full pipe would block the server's logging
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, int(match.group(1))
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


def _download(port: int, path: str, count: int) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    total = 0
    started = time.perf_counter()
    for _ in range(count):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, response.status
        total += len(body)
    connection.close()
    return time.perf_counter() - started, total


def measure(name: str, process: subprocess.Popen, port: int, small: int, large: int) -> None:
    _download(port, "/static/small.css", 20)  # warm-up
    for path, count in (("/static/small.css", small), ("/static/large.bin", large)):
        before = _cpu_seconds(process.pid)
        wall, total = _download(port, path, count)
        cpu = _cpu_seconds(process.pid) - before
        print(f"{name:<18} {path:<18} {count:>6} requests  server CPU {cpu * 1000 / count:8.3f} ms/request"
              f"  wall {wall:6.2f} s  {total / wall / 1e6:8.1f} MB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=3000, help="downloads of the 4 KiB file")
    parser.add_argument("--large", type=int, default=40, help="downloads of the 16 MiB file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        static = root / "static"
        static.mkdir()
        (static / "small.css").write_bytes(b"a" * 4096)
        (static / "large.bin").write_bytes(os.urandom(16 * 1024 * 1024))
        for package in ("astraapi", "fastapi"):
            (root / f"{package}_app.py").write_text(APP.format(package=package))
        env = {**os.environ, "BENCH_STATIC": str(static), "PYTHONUNBUFFERED": "1"}
        runs = [
            ("astraapi dynamic", [sys.executable, "-m", "astraapi", "dev", "astraapi_app:app", "--no-reload",
                                  "--host", "127.0.0.1", "--port", "0"], r"serving on http://[0-9.]+:(\d+)"),
            ("fastapi+uvicorn", [sys.executable, "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1",
                                 "--port", "0", "--no-access-log"], r"running on http://[0-9.]+:(\d+)"),
        ]
        for name, command, pattern in runs:
            try:
                process, port = _start(command, root, env, pattern)
            except (RuntimeError, FileNotFoundError) as error:
                print(f"{name}: not measured ({error})")
                continue
            try:
                measure(name, process, port, args.small, args.large)
            finally:
                os.kill(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()


if __name__ == "__main__":
    main()
