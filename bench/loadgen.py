"""Load generation with wrk (Debian's package): one bounded run, its raw output and the CPU time
wrk itself used (from wait4), parsed into requests/s and latency percentiles."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

# One wrk thread on its own core with 64 connections: enough concurrency to keep a one-core
# server busy, while one thread keeps the load generator on exactly one core (the other one).
THREADS = 1
CONNECTIONS = 64


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def lua(self) -> str:
        def quote(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        lines = [f"wrk.method = {quote(self.method)}"]
        if self.body:
            lines.append(f"wrk.body = {quote(self.body.decode())}")
        for name, value in self.headers:
            lines.append(f"wrk.headers[{quote(name)}] = {quote(value)}")
        return "\n".join(lines) + "\n"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int          # socket errors plus non-2xx/3xx responses
    wrk_cpu: float       # CPU seconds wrk used
    raw: str


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(raw: str, wrk_cpu: float = 0.0) -> WrkResult:
    done = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)", raw)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", raw)
    p50 = re.search(r"^\s+50%\s+(\S+)", raw, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", raw, re.M)
    if not (done and rps and p50 and p99):
        raise ValueError("wrk printed no result:\n" + raw)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", raw))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", raw)
    if non2xx:
        errors += int(non2xx.group(1))
    return WrkResult(
        requests=int(done.group(1)), seconds=_ms(done.group(2) + done.group(3)) / 1e3, rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)), p99_ms=_ms(p99.group(1)), errors=errors, wrk_cpu=wrk_cpu, raw=raw,
    )


def run_wrk(url: str, request: Request, seconds: float, *, script_dir: Path, cpus: str | None = "1",
            threads: int = THREADS, connections: int = CONNECTIONS) -> WrkResult:
    """Run wrk for `seconds` (killed if it overruns by 15 s) and parse its output."""
    script = script_dir / f"wrk-{request.method.lower()}-{abs(hash(request)) % 10**8}.lua"
    script.write_text(request.lua())
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "2s", "-s", str(script), url + request.path]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    timer = threading.Timer(seconds + 15, lambda: os.killpg(process.pid, signal.SIGKILL))
    timer.start()
    try:
        raw = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        timer.cancel()
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}:\n{raw}")
    return parse(raw, usage.ru_utime + usage.ru_stime)
