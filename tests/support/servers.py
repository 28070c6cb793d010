"""Start AstraAPI servers as real processes on 127.0.0.1 and stop them by PID."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SERVING = re.compile(r"serving on http://([0-9.]+):(\d+)")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def _environment(extra: dict | None) -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


class BuildCache:
    """Compiles each (app, cwd) once per test session with `astraapi build` (the environment
    must not change the app's declarations)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._builds: dict[tuple, Path] = {}
        self._lock = threading.Lock()

    def build(self, app_ref: str, *, cwd: Path, env: dict | None = None) -> Path:
        key = (app_ref, str(cwd))
        with self._lock:
            if key not in self._builds:
                build_dir = self.root / f"build{len(self._builds)}"
                done = run_cli(["build", app_ref, "--build-dir", str(build_dir)], cwd=cwd, env=env)
                if done.returncode != 0:
                    raise RuntimeError(f"astraapi build {app_ref} failed:\n{done.stdout}\n{done.stderr}")
                self._builds[key] = build_dir
            return self._builds[key]


def run_cli(args: list[str], *, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "astraapi", *args],
        cwd=cwd, env=_environment(env), capture_output=True, text=True, timeout=timeout,
    )


class ServerProcess:
    def __init__(self, app_ref: str, mode: str, *, cwd: Path, env: dict | None, build_dir: Path | None,
                 workers: int = 1, host: str = "127.0.0.1", args: tuple[str, ...] = ()):
        self.app_ref, self.mode, self.cwd, self.env = app_ref, mode, Path(cwd), env
        self.extra_args = tuple(args)  # more `astraapi dev|run` options
        self.build_dir, self.workers, self.host = build_dir, workers, host
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.output: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        # Port 0 (the kernel picks a free port) needs one worker; several workers need a fixed port.
        port = "0" if self.workers == 1 else str(_free_port())
        if self.mode == "dynamic":
            args = ["dev", self.app_ref, "--no-reload", "--host", self.host, "--port", port]
        else:
            args = ["run", self.app_ref, "--host", self.host, "--port", port, "--workers", str(self.workers),
                    "--build-dir", str(self.build_dir)]
        if self.workers > 1:
            self.port = int(port)
        return [sys.executable, "-m", "astraapi", *args, *self.extra_args]

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command(), cwd=self.cwd, env=_environment(self.env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"server {self.app_ref} ({self.mode}) did not start:\n" + "".join(self.output))

    def wait_for_output(self, text: str, timeout: float = 15.0) -> str:
        """The server's output so far, once it contains `text` (a log line is read by another thread,
        and may arrive after the response that caused it); the output as it is after `timeout` otherwise."""
        deadline = time.monotonic() + timeout
        while text not in "".join(self.output) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "".join(self.output)

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            match = SERVING.search(line)
            if match and not self._ready.is_set():
                if self.port is None:
                    self.port = int(match.group(2))
                self._ready.set()
        self._ready.set()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
        if self._reader is not None:
            self._reader.join(STOP_TIMEOUT)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
