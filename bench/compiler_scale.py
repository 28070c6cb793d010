"""How the compiler and start-up scale with app size.

Generates a FastAPI-style app (ROUTES routes in nested routers, MODELS models), then measures:
- `astraapi build`: cold, unchanged, and after changing one model;
- start-up, from process start to the first answered request: AstraAPI compiled, AstraAPI
  dynamic, and FastAPI on uvicorn (the same source with the import changed); wall time and the
  CPU time the server process used until then (less sensitive to a loaded machine);
- import time of `import astraapi` / `import fastapi` and of `from X import FastAPI; FastAPI()`
  (fresh interpreters, minus an empty interpreter's start);
- the size of the generated code and module.

    python bench/compiler_scale.py [--routes 500 --models 200] [--runs 5]

Every figure is a median of --runs runs. Python files are byte-compiled first (AstraAPI's package
and the generated apps; installed packages such as FastAPI already are), so that no measurement
pays for compiling source. Everything listens on 127.0.0.1 and every process started is stopped.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

FIELD_TYPES = ["int", "float", "str", "bool", "Optional[str]", "list[str]", "list[int]", "dict[str, int]"]


def generate_app(folder: Path, routes: int, models: int, framework: str = "astraapi", seed: int = 7) -> None:
    rng = random.Random(seed)
    package = folder / "bigapp"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    lines = ["from typing import Optional", "from pydantic import BaseModel", ""]
    for number in range(models):
        lines.append(f"class Model{number}(BaseModel):")
        for field in range(rng.randint(3, 8)):
            lines.append(f"    f{field}: {rng.choice(FIELD_TYPES)}")
        if number and rng.random() < 0.3:
            lines.append(f"    child: Optional[Model{rng.randrange(number)}] = None")
        lines.append("")
    (package / "models.py").write_text("\n".join(lines))

    groups = max(1, routes // 25)
    app_lines = [f"from {framework} import FastAPI, APIRouter", "from typing import Optional",
                 "from bigapp.models import *", "", "app = FastAPI()", "api = APIRouter(prefix='/api')", ""]
    per_group = -(-routes // groups)
    made = 0
    for group in range(groups):
        app_lines.append(f"group{group} = APIRouter(prefix='/g{group}', tags=['g{group}'])")
        for _ in range(per_group):
            if made == routes:
                break
            model = rng.randrange(models)
            app_lines += [
                f"@group{group}.get('/items{made}/{{item_id}}', response_model=Model{model})",
                f"def route{made}(item_id: int, q: Optional[str] = None, limit: int = 10):",
                "    return None",
                "",
            ]
            made += 1
        app_lines.append(f"api.include_router(group{group})")
    app_lines += ["app.include_router(api)", "", "@app.get('/')", "def root():", "    return {'ok': True}", ""]
    (package / "main.py").write_text("\n".join(app_lines))


def _environment() -> dict:
    # The byte-compiled files written by precompile() are used, none are written while measuring.
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=_environment())
    return time.perf_counter() - started


def precompile(*folders: Path) -> None:
    """Byte-compile the Python files of `folders`, as an installed package already is."""
    for folder in folders:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True, capture_output=True)


def import_ms(python: str, code: str, runs: int) -> float:
    """Median wall time of `python -c code` minus that of `python -c pass`, in ms (fresh interpreters)."""
    def once(source: str) -> float:
        started = time.perf_counter()
        subprocess.run([python, "-c", source], check=True, capture_output=True, env=_environment())
        return time.perf_counter() - started

    once(code)  # warms the page cache
    base = statistics.median(once("pass") for _ in range(runs))
    return 1000 * (statistics.median(once(code) for _ in range(runs)) - base)


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def startup_seconds(command: list[str], cwd: Path, port: int, timeout: float = 120.0) -> tuple[float, float]:
    """Process start to the first 200 from GET /: (wall seconds, the server's CPU seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env=_environment())
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started, process_cpu_seconds(process.pid)
            except OSError:
                time.sleep(0.005)
        raise RuntimeError(f"{command} did not answer within {timeout}s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--build-routes", type=int, default=100, help="app size for the build-time figures")
    parser.add_argument("--build-models", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--imports-runs", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    astraapi = [python, "-m", "astraapi"]
    package = Path(__file__).resolve().parent.parent / "astraapi"
    precompile(package)
    root = Path(tempfile.mkdtemp(prefix="astraapi-scale-"))
    rows = []
    load_before = loadavg()
    try:
        # Import times.
        for label, code in (
            ("import astraapi", "import astraapi"),
            ("import fastapi", "import fastapi"),
            ("from astraapi import FastAPI; FastAPI()", "from astraapi import FastAPI; FastAPI()"),
            ("from fastapi import FastAPI; FastAPI()", "from fastapi import FastAPI; FastAPI()"),
        ):
            rows.append(f"| `{label}` (median of {args.imports_runs}) | {import_ms(python, code, args.imports_runs):.0f} ms |")

        # Build times on the smaller app.
        build_dir = root / "build-app"
        generate_app(build_dir, args.build_routes, args.build_models)
        precompile(build_dir / "bigapp")
        cold = timed([*astraapi, "build", "bigapp.main:app"], build_dir)
        unchanged = statistics.median(timed([*astraapi, "build", "bigapp.main:app"], build_dir)
                                      for _ in range(args.runs))
        models_py = build_dir / "bigapp" / "models.py"
        models_py.write_text(models_py.read_text().replace("class Model0(BaseModel):\n",
                                                           "class Model0(BaseModel):\n    added: int = 0\n", 1))
        precompile(build_dir / "bigapp")
        one_model = timed([*astraapi, "build", "bigapp.main:app"], build_dir)
        rows.append(f"| build, {args.build_routes} routes / {args.build_models} models, cold | {cold:.2f} s |")
        rows.append(f"| build, unchanged (median of {args.runs}) | {unchanged:.2f} s |")
        rows.append(f"| build, one model changed | {one_model:.2f} s |")

        # Start-up on the large app.
        big = root / "big-app"
        generate_app(big, args.routes, args.models)
        shutil.copytree(big / "bigapp", big / "fastapi_twin" / "bigapp")
        generate_app(big / "fastapi_twin", args.routes, args.models, framework="fastapi")
        precompile(big / "bigapp", big / "fastapi_twin" / "bigapp")
        build_started = time.perf_counter()
        subprocess.run([*astraapi, "build", "bigapp.main:app"], cwd=big, check=True, capture_output=True)
        big_build = time.perf_counter() - build_started
        generated = sum(p.stat().st_size for p in (big / ".astraapi/build/generated").rglob("*") if p.is_file())
        module = (big / ".astraapi/build/app_module.so").stat().st_size
        rows.append(f"| build, {args.routes} routes / {args.models} models, cold | {big_build:.2f} s |")
        rows.append(f"| generated C++ / module size | {generated / 1024:.0f} KiB / {module / 1024:.0f} KiB |")
        targets = {
            "start-up, AstraAPI compiled": ([*astraapi, "run", "bigapp.main:app", "--host", "127.0.0.1"], big),
            "start-up, AstraAPI dynamic": ([*astraapi, "dev", "bigapp.main:app", "--no-reload", "--host",
                                            "127.0.0.1"], big),
            "start-up, FastAPI + uvicorn": ([python, "-m", "uvicorn", "bigapp.main:app", "--host", "127.0.0.1"],
                                            big / "fastapi_twin"),
        }
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in targets}
        for _ in range(args.runs):  # interleaved, so that a burst of load hits every target alike
            for label, (command, cwd) in targets.items():
                port = free_port()
                samples[label].append(startup_seconds([*command, "--port", str(port)], cwd, port))
        results = {}
        for label, runs in samples.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            results[label] = (wall, cpu)
            rows.append(f"| {label} ({args.routes} routes, median of {args.runs}) | {wall:.2f} s wall, "
                        f"{cpu:.2f} s CPU |")
        fastapi_wall, fastapi_cpu = results["start-up, FastAPI + uvicorn"]
        for label in ("start-up, AstraAPI compiled", "start-up, AstraAPI dynamic"):
            wall, cpu = results[label]
            rows.append(f"| {label} / FastAPI | {wall / fastapi_wall:.2f} wall, {cpu / fastapi_cpu:.2f} CPU |")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average before: {load_before}, after: {loadavg()} ({os.cpu_count()} CPUs)")
    print("| measure | value |\n|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
