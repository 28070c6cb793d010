"""The servers under test: how each is started (pinned with taskset, in its own session so that
every process it forks is found and stopped by PID) and stopped."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench import procstat

REPO = Path(__file__).resolve().parent.parent
APP_REF = "bench.apps.astra_app:app"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Target:
    key: str
    label: str
    group: str                      # "astraapi", "peer" or "reference"
    python: str | None = None       # interpreter that runs it (None: not Python)
    routes: tuple[str, ...] | None = None   # None: every route
    max_workers: int = 1
    unavailable: str | None = None  # why the target cannot run here
    stop_signal: int = signal.SIGTERM

    def command(self, port: int, workers: int, build_dir: Path | None, work: Path) -> list[str]:
        host, p = "127.0.0.1", str(port)
        if self.key == "astraapi-compiled":
            return [self.python, "-m", "astraapi", "run", APP_REF, "--host", host, "--port", p,
                    "--workers", str(workers), "--build-dir", str(build_dir)]
        if self.key == "astraapi-dynamic":
            return [self.python, "-m", "astraapi", "dev", APP_REF, "--no-reload", "--host", host, "--port", p]
        if self.key in ("fastapi", "blacksheep"):
            module = "bench.apps.fastapi_app:app" if self.key == "fastapi" else "bench.apps.blacksheep_app:app"
            return [self.python, "-m", "uvicorn", module, "--host", host, "--port", p, "--workers", str(workers),
                    "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
        if self.key == "socketify":
            return [self.python, "-m", "bench.apps.socketify_app"]
        if self.key == "robyn":
            return [self.python, "-m", "bench.apps.robyn_app", "--processes", "1", "--workers", "1",
                    "--log-level", "WARNING", "--disable-openapi"]
        if self.key == "nginx":
            return ["nginx", "-p", str(work), "-c", str(write_nginx_conf(work, port)), "-e", str(work / "error.log")]
        raise ValueError(self.key)


def all_targets(astra_python: str, peers_python: str | None, peer_status: dict[str, str]) -> list[Target]:
    """peer_status: package -> "" when installed, else the reason it is not."""
    def peer(key: str, label: str, package: str, **kw) -> Target:
        reason = None if peers_python else "peers' virtual environment not set up"
        if reason is None and peer_status.get(package):
            reason = peer_status[package]
        return Target(key, label, "peer", python=peers_python, unavailable=reason, **kw)

    nginx_missing = None if _which("nginx") else "nginx is not installed (apt-get install nginx)"
    return [
        Target("astraapi-compiled", "AstraAPI compiled", "astraapi", python=astra_python, max_workers=2),
        Target("astraapi-dynamic", "AstraAPI dynamic", "astraapi", python=astra_python),
        peer("fastapi", "FastAPI + uvicorn", "fastapi", max_workers=2),
        peer("blacksheep", "BlackSheep + uvicorn", "blacksheep"),
        peer("socketify", "socketify", "socketify"),
        peer("robyn", "Robyn", "robyn", stop_signal=signal.SIGINT),  # it takes SIGTERM as no reason to stop
        Target("nginx", "nginx (fixed body)", "reference", routes=("hello",), unavailable=nginx_missing),
    ]


def _which(name: str) -> bool:
    import shutil

    return shutil.which(name) is not None


def write_nginx_conf(work: Path, port: int) -> Path:
    """One worker, loopback only, no access log, the hello body as a fixed string."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(f"""\
daemon off;
master_process on;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp/client_body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location = / {{
            default_type application/json;
            return 200 '{{"message":"Hello World"}}';
        }}
    }}
}}
""")
    return conf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A started target: its process (session leader), port and how long it took to answer."""

    target: Target
    process: subprocess.Popen
    port: int
    log: Path
    workers: int = 1
    startup_s: float = 0.0

    @property
    def sid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return procstat.session_cpu(self.sid)

    def rss(self) -> tuple[float, float, int]:
        """(RSS per worker MiB, total RSS MiB, worker count): with several processes the session
        leader (a supervisor or master) is not counted as a worker."""
        pids = procstat.session_pids(self.sid)
        sizes = {pid: procstat.rss_kib(pid) or 0 for pid in pids}
        workers = [pid for pid in pids if pid != self.sid] or [self.sid]
        total = sum(sizes.values()) / 1024
        return sum(sizes.get(p, 0) for p in workers) / 1024 / len(workers), total, len(workers)

    def stop(self) -> None:
        stop_session(self.process, self.target.stop_signal)


def start(target: Target, *, workers: int, cpus: str | None, build_dir: Path | None, work: Path,
          env_extra: dict[str, str] | None = None) -> Server:
    """Start the target and wait until GET / answers 200; raises RuntimeError with its output."""
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    command = target.command(port, workers, build_dir, work)
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    env = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    env.update(env_extra or {})
    log = work / f"{target.key}-w{workers}-{port}.log"
    started = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(target, process, port, log, workers)
    try:
        deadline = started + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"exited with {process.returncode}: {_tail(log)}")
            if _answers(port):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"did not answer GET / within {START_TIMEOUT:.0f}s: {_tail(log)}")
            time.sleep(0.02)
        server.startup_s = time.perf_counter() - started
        return server
    except BaseException:
        server.stop()
        raise


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def _tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no output)"


def stop_session(process: subprocess.Popen, stop_signal: int = signal.SIGTERM) -> None:
    """Signal the process group (SIGTERM unless the target wants another), SIGKILL it after
    STOP_TIMEOUT, and reap the leader."""
    pgid = process.pid
    if process.poll() is None:
        try:
            os.killpg(pgid, stop_signal)
        except ProcessLookupError:
            pass
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    # Children that outlived their leader are still in its session and process group.
    if procstat.session_pids(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if process.poll() is None:
        process.wait(STOP_TIMEOUT)
