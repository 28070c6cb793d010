"""Measuring: a warm-up, then several wrk runs of one route against one started server, each
with the server's CPU time (from /proc) and what else loaded the machine meanwhile; plus the
one-off timings (import, build)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procstat
from bench.loadgen import WrkResult, run_wrk
from bench.routes import Route


@dataclass
class Settings:
    runs: int = 5
    duration: float = 5.0
    warmup: float = 2.0
    server_cpus: str | None = "0"
    wrk_cpus: str | None = "1"
    threads: int = 1
    connections: int = 64
    load_threshold: float = 10.0   # % of one core used by others during a run: the run is "loaded"
    retries: int = 1               # reruns of a loaded run (after waiting for quiet)
    quiet_wait: float = 20.0       # seconds to wait for the machine to go quiet before a route


@dataclass
class Run:
    wrk: WrkResult
    server_cpu: float          # CPU seconds the server used during the run
    load: procstat.LoadSample

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu / max(1, self.wrk.requests)

    @property
    def server_pct(self) -> float:
        """The server's CPU use during the run, in % of one core."""
        return 100 * self.server_cpu / max(self.wrk.seconds, 1e-6)

    @property
    def wrk_pct(self) -> float:
        return 100 * self.wrk.wrk_cpu / max(self.wrk.seconds, 1e-6)


@dataclass
class RouteResult:
    target: str
    route: str
    runs: list[Run] = field(default_factory=list)
    unavailable: str | None = None  # why the route was not measured on this target
    workers: int = 1

    def _median(self, values) -> float:
        return statistics.median(values) if values else float("nan")

    @property
    def rps(self) -> float:
        return self._median([r.wrk.rps for r in self.runs])

    @property
    def spread_pct(self) -> float:
        """(max - min) / median of requests/s, in percent."""
        values = [r.wrk.rps for r in self.runs]
        return 100 * (max(values) - min(values)) / self.rps if len(values) > 1 and self.rps else 0.0

    @property
    def p50_ms(self) -> float:
        return self._median([r.wrk.p50_ms for r in self.runs])

    @property
    def p99_ms(self) -> float:
        return self._median([r.wrk.p99_ms for r in self.runs])

    @property
    def cpu_us(self) -> float:
        return self._median([r.cpu_us_per_request for r in self.runs])

    @property
    def server_pct(self) -> float:
        return self._median([r.server_pct for r in self.runs])

    @property
    def wrk_pct(self) -> float:
        return self._median([r.wrk_pct for r in self.runs])

    @property
    def wrk_bound(self) -> bool:
        """wrk's thread, not the server, was the limit (it used its core, the server did not)."""
        return self.wrk_pct >= 90 and self.server_pct < 90

    @property
    def errors(self) -> int:
        return sum(r.wrk.errors for r in self.runs)

    @property
    def loaded_runs(self) -> int:
        return sum(1 for r in self.runs if r.load.loaded(self.threshold))

    threshold: float = 10.0

    @property
    def max_other_pct(self) -> float:
        return max((r.load.other_pct + r.load.steal_pct for r in self.runs), default=0.0)


def wait_for_quiet(settings: Settings, our_sids: set[int], log) -> procstat.LoadSample:
    """Sample the machine until others use less than the threshold, for at most quiet_wait s."""
    deadline = time.monotonic() + settings.quiet_wait
    while True:
        sample = procstat.sample_load(our_sids, 1.0)
        if not sample.loaded(settings.load_threshold) or time.monotonic() >= deadline:
            if sample.loaded(settings.load_threshold):
                log(f"    machine still busy, measuring anyway (runs will be marked): {sample.describe()}")
            return sample
        time.sleep(1.0)


def measure_route(server, route: Route, settings: Settings, raw_dir: Path, log, tag: str = "") -> RouteResult:
    """Warm up, wait for quiet, then settings.runs wrk runs (a loaded one retried); the raw
    output of each goes to raw_dir/<tag><target>-w<workers>-<route>-run<n>.txt."""
    url = f"http://127.0.0.1:{server.port}"
    result = RouteResult(server.target.key, route.key, threshold=settings.load_threshold)
    ours = {server.sid, os.getsid(0)}
    wrk_args = dict(script_dir=raw_dir, cpus=settings.wrk_cpus, threads=settings.threads,
                    connections=settings.connections)
    if settings.warmup > 0:
        run_wrk(url, route.request, settings.warmup, **wrk_args)
    if settings.quiet_wait > 0:
        wait_for_quiet(settings, ours, log)
    retries = settings.retries
    while len(result.runs) < settings.runs:
        watch = procstat.LoadWatch(ours)
        cpu_before = server.cpu_seconds()
        wrk = run_wrk(url, route.request, settings.duration, **wrk_args)
        server_cpu = server.cpu_seconds() - cpu_before
        load = watch.finish(extra_ours_seconds=wrk.wrk_cpu)
        run = Run(wrk, server_cpu, load)
        number = len(result.runs) + 1
        name = f"{tag}{server.target.key}-w{server.workers}-{route.key}-run{number}"
        (raw_dir / f"{name}.txt").write_text(
            wrk.raw + f"\n# server CPU {server_cpu:.3f}s, wrk CPU {wrk.wrk_cpu:.3f}s\n# {load.describe()}\n")
        if load.loaded(settings.load_threshold) and retries > 0:
            retries -= 1
            log(f"    run {number} disturbed ({load.describe()}); waiting and running it again")
            (raw_dir / f"{name}.txt").rename(raw_dir / f"{name}-discarded-loaded.txt")
            wait_for_quiet(settings, ours, log)
            continue
        result.runs.append(run)
        mark = " [loaded]" if load.loaded(settings.load_threshold) else ""
        log(f"    run {number}: {wrk.rps:,.0f} req/s, p50 {wrk.p50_ms:.2f} ms, p99 {wrk.p99_ms:.2f} ms, "
            f"{run.cpu_us_per_request:.1f} us CPU/req, server {run.server_pct:.0f}% wrk {run.wrk_pct:.0f}% of a core, others {load.other_pct:.0f}%{mark}")
    return result


def python_import_time(python: str, module: str, repeat: int, cpus: str | None) -> float | None:
    """Median wall time of `python -c "import module"` minus that of `python -c pass`, in ms."""
    def once(code: str, write_bytecode: bool = False) -> float | None:
        command = [python, "-c", code]
        if cpus:
            command = ["taskset", "-c", cpus, *command]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        if write_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE")
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env)
        return time.perf_counter() - started if done.returncode == 0 else None

    # also warms the page cache and writes .pyc files (an installed package has them; a source
    # checkout would otherwise compile its modules in every measured run)
    if once(f"import {module}", write_bytecode=True) is None:
        return None
    base = statistics.median(once("pass") for _ in range(repeat))
    total = statistics.median(once(f"import {module}") for _ in range(repeat))
    return 1000 * (total - base)


def build_time(python: str, app_ref: str, build_dir: Path, repo: Path) -> tuple[float, str]:
    """Wall seconds of `astraapi build` into build_dir, and its last output line."""
    started = time.perf_counter()
    done = subprocess.run([python, "-m", "astraapi", "build", app_ref, "--build-dir", str(build_dir)],
                          cwd=repo, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"astraapi build failed:\n{done.stdout}\n{done.stderr}")
    summary = next((l for l in done.stdout.splitlines() if l.startswith("built ")), "")
    return seconds, summary
