"""Graceful shutdown and worker faults with real processes (bounded; every process is
stopped by PID): SIGTERM while slow requests are in flight loses none of them; the graceful
timeout bounds the wait; a worker SIGKILLed under load is replaced and the server keeps
answering; workers do not outlive a SIGKILLed master."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support.paths import APPS_DIR
from support.servers import _free_port, wait_until


def children_of(pid: int) -> set[int]:
    children = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.update(int(c) for c in (task / "children").read_text().split())
    except FileNotFoundError:
        pass
    return children


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Served:
    """`astraapi dev --no-reload` of tests/apps/slow.py on a fixed port, N workers."""

    def __init__(self, workers: int, *extra: str):
        self.port = _free_port()
        self.workers = workers
        cmd = [sys.executable, "-m", "astraapi", "dev", "slow:app", "--no-reload", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(workers), *extra]
        self.output: list[str] = []
        self.proc = subprocess.Popen(cmd, cwd=APPS_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not wait_until(lambda: sum("serving on" in line for line in self.output) >= workers, timeout=60):
            self.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.output))

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def kill(self):
        pids = {self.proc.pid} | children_of(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(5)


@pytest.fixture
def served():
    started: list[Served] = []

    def start(workers: int, *extra: str) -> Served:
        s = Served(workers, *extra)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def get(port: int, path: str, timeout: float = 15.0) -> tuple[int, bytes]:
    """One request on a new connection, read to the end (the server closes while draining)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before an answer: %r" % data)
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(head.split(b" ")[1]), body


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_loses_no_in_flight_request(served, workers):
    s = served(workers)
    workers_pids = children_of(s.proc.pid) if workers > 1 else set()
    results: list = []

    def client(path):
        try:
            results.append(get(s.port, path))
        except Exception as exc:  # recorded: the test fails on it
            results.append(exc)

    paths = [f"/sleep/{800 + 50 * i}" for i in range(6)] + [f"/block/{900 + 50 * i}" for i in range(4)]
    threads = [threading.Thread(target=client, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    time.sleep(0.4)  # all ten are in flight
    s.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(20)
    assert len(results) == 10 and all(isinstance(r, tuple) and r[0] == 200 for r in results), results
    assert s.proc.wait(15) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
    assert wait_until(lambda: not any(alive(pid) for pid in workers_pids), timeout=5)


def test_graceful_timeout_bounds_the_wait(served):
    s = served(2, "--graceful-timeout", "1")
    master = s.proc.pid
    workers = children_of(master)
    errors = []

    def client():
        try:
            get(s.port, "/sleep/20000", timeout=20)
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=client)
    t.start()
    time.sleep(0.4)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(15) == 0
    assert time.monotonic() - t0 < 5
    t.join(10)
    assert errors  # that request could not finish in time: its connection was closed
    assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=5)


def test_worker_killed_under_load_is_replaced(served):
    s = served(2)
    master = s.proc.pid
    assert wait_until(lambda: len(children_of(master)) == 2)
    victim = sorted(children_of(master))[0]
    stop = threading.Event()
    log: list[tuple[float, bool]] = []

    def hammer():
        while not stop.is_set():
            try:
                ok = get(s.port, "/", timeout=3)[0] == 200
            except OSError:
                ok = False
            log.append((time.monotonic(), ok))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(children_of(master)) == 2 and victim not in children_of(master), timeout=10)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    before = [ok for at, ok in log if at < killed_at]
    after = [ok for at, ok in log if at > killed_at + 0.5]
    assert before and all(before)
    assert len(after) > 20 and all(after[-20:])  # the server keeps answering
    assert sum(not ok for _, ok in log) <= 8  # only requests caught on the killed worker fail
    pids = {int(b.split(b'"pid":')[1].rstrip(b"}")) for b in (get(s.port, "/")[1] for _ in range(30))}
    assert victim not in pids
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(15) == 0


def test_workers_die_with_a_killed_master(served):
    s = served(2)
    master = s.proc.pid
    assert wait_until(lambda: len(children_of(master)) == 2)
    workers = children_of(master)
    os.kill(master, signal.SIGKILL)
    s.proc.wait(10)
    assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10)


def test_master_kills_a_worker_that_does_not_stop(served):
    s = served(2, "--graceful-timeout", "1")
    master = s.proc.pid
    workers = children_of(master)

    def client():
        try:
            get(s.port, "/hang/30000", timeout=20)
        except OSError:
            pass

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]  # reach both workers
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(20) == 0
    took = time.monotonic() - t0
    assert 5.5 < took < 12  # graceful timeout (1 s) + the master's margin (5 s), then SIGKILL
    assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=5)
    assert any("killing them" in line for line in s.output)


def read_responses(sock: socket.socket) -> list[tuple[int, dict, bytes]]:
    """Every response on the connection until the server closes it (content-length framed)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:])
        length = int(headers[b"content-length"])
        out.append((int(lines[0].split(b" ")[1]), headers, rest[:length]))
        data = rest[length:]
    return out


def test_sigterm_answers_pipelined_requests(served):
    """Requests the client already sent behind an in-flight one on a keep-alive connection are
    answered during the graceful shutdown (the last with connection: close), then it closes."""
    s = served(1)
    req = b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n"
    a = socket.create_connection(("127.0.0.1", s.port), timeout=15)
    b = socket.create_connection(("127.0.0.1", s.port), timeout=15)
    try:
        # a: three requests in one segment; b: one, then a second one while the first runs.
        a.sendall(req % b"/sleep/900" + req % b"/" + req % b"/block/50")
        b.sendall(req % b"/sleep/900")
        time.sleep(0.3)
        b.sendall(req % b"/sleep/10")
        time.sleep(0.2)
        s.proc.send_signal(signal.SIGTERM)
        got_a, got_b = read_responses(a), read_responses(b)
    finally:
        a.close()
        b.close()
    assert [status for status, _, _ in got_a] == [200, 200, 200]
    assert b'"slept":900' in got_a[0][2] and b'"pid"' in got_a[1][2] and b'"blocked":50' in got_a[2][2]
    assert [h.get(b"connection") for _, h, _ in got_a] == [None, None, b"close"]
    assert [status for status, _, _ in got_b] == [200, 200]
    assert b'"slept":10' in got_b[1][2]
    assert [h.get(b"connection") for _, h, _ in got_b] == [None, b"close"]
    assert s.proc.wait(15) == 0
