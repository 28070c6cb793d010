"""Start-up cost in instructions (callgrind): load-independent, unlike wall or CPU time.

Generates the app of `bench/compiler_scale.py` (ROUTES routes in nested routers, MODELS models),
builds it, then runs each target under `valgrind --tool=callgrind` from process start until it
answered `GET /` with 200, and stops it (SIGTERM): AstraAPI compiled (`astraapi run`), AstraAPI
dynamic (`astraapi dev --no-reload`), FastAPI on uvicorn (the same source, the import changed).
Prints the user-space instructions each executed (start-up, the first request and the shutdown)
and the ratios to FastAPI's.

    python bench/startup_callgrind.py [--routes 500 --models 200] [--targets compiled,dynamic,fastapi]

Each run takes 10-60 s under valgrind. Everything listens on 127.0.0.1; every process started is
stopped by its PID.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiler_scale import free_port, generate_app, precompile  # noqa: E402


def instructions(command: list[str], cwd: Path, port: int, timeout: float = 600.0) -> int:
    """User-space instructions `command` executes until it answered GET / with 200, then stopped."""
    out = Path(tempfile.mkstemp(prefix="callgrind-", suffix=".out")[1])
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0"),  # the same work each run
    )
    try:
        started = time.monotonic()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{command} did not answer within {timeout}s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        os.kill(process.pid, signal.SIGTERM)
        process.wait(120)
        match = re.search(r"^summary: (\d+)", out.read_text(), re.M)
        if not match:
            raise RuntimeError(f"no callgrind summary in {out}")
        return int(match.group(1))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        out.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--targets", default="compiled,dynamic,fastapi")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    python = sys.executable
    astraapi = [python, "-m", "astraapi"]
    precompile(Path(__file__).resolve().parent.parent / "astraapi")
    root = Path(tempfile.mkdtemp(prefix="astraapi-startup-cg-"))
    try:
        app = root / "app"
        generate_app(app, args.routes, args.models)
        shutil.copytree(app / "bigapp", app / "fastapi_twin" / "bigapp")
        generate_app(app / "fastapi_twin", args.routes, args.models, framework="fastapi")
        precompile(app / "bigapp", app / "fastapi_twin" / "bigapp")
        subprocess.run([*astraapi, "build", "bigapp.main:app"], cwd=app, check=True, capture_output=True)
        targets = {
            "compiled": ("AstraAPI compiled", [*astraapi, "run", "bigapp.main:app", "--host", "127.0.0.1"], app),
            "dynamic": ("AstraAPI dynamic", [*astraapi, "dev", "bigapp.main:app", "--no-reload", "--host",
                                              "127.0.0.1"], app),
            "fastapi": ("FastAPI + uvicorn", [python, "-m", "uvicorn", "bigapp.main:app", "--host", "127.0.0.1"],
                        app / "fastapi_twin"),
        }
        counts = {}
        for name in args.targets.split(","):
            label, command, cwd = targets[name]
            port = free_port()
            counts[name] = instructions([*command, "--port", str(port)], cwd, port)
            print(f"{label}: {counts[name] / 1e6:,.0f} M instructions", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n| start-up to the first answer, {args.routes} routes / {args.models} models | instructions |")
    print("|---|---|")
    for name, count in counts.items():
        print(f"| {targets[name][0]} | {count / 1e6:,.0f} M |")
    if "fastapi" in counts:
        for name in ("compiled", "dynamic"):
            if name in counts:
                print(f"| {targets[name][0]} / FastAPI | {counts[name] / counts['fastapi']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
