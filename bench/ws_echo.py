"""WebSocket echo round trips over one connection (tests/apps/ws_app.py's /echo), per mode.

    .venv/bin/python -m bench.ws_echo [--messages 5000] [--size 32] [--mode dynamic|compiled]

Starts the app with `astraapi dev` (or `astraapi build` + `run`), sends a masked text frame, waits
for the echo, repeats; prints round trips per second. The server is stopped by PID.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.ws_raw import RawWS, close_payload, frame  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--mode", choices=("dynamic", "compiled"), default="dynamic")
    args = parser.parse_args()
    apps = ROOT / "tests" / "apps"
    if args.mode == "dynamic":
        command = [sys.executable, "-m", "astraapi", "dev", "ws_app:app", "--no-reload", "--port", "0"]
    else:
        build_dir = Path(tempfile.mkdtemp(prefix="ws_bench_build"))
        subprocess.run([sys.executable, "-m", "astraapi", "build", "ws_app:app", "--build-dir", str(build_dir)],
                       cwd=apps, check=True, capture_output=True)
        command = [sys.executable, "-m", "astraapi", "run", "ws_app:app", "--port", "0", "--build-dir",
                   str(build_dir)]
    process = subprocess.Popen(command, cwd=apps, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        for line in process.stdout:
            match = re.search(r"serving on http://[0-9.]+:(\d+)", line)
            if match:
                port = int(match.group(1))
                break
        assert port, "the server did not start"
        payload = b"x" * args.size
        message = frame(0x1, payload)
        with RawWS(port, "/echo") as ws:
            for _ in range(200):  # warm up
                ws.send(message)
                ws.read_frame()
            start = time.perf_counter()
            for _ in range(args.messages):
                ws.send(message)
                assert ws.read_frame()[2] == payload
            elapsed = time.perf_counter() - start
            ws.send(frame(0x8, close_payload(1000)))
        print(f"{args.mode}: {args.messages} echo round trips of {args.size} bytes in {elapsed:.3f}s: "
              f"{args.messages / elapsed:,.0f}/s ({elapsed / args.messages * 1e6:.0f} us each)")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
