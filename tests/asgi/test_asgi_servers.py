"""The app under real ASGI servers: uvicorn, hypercorn and granian each serve tests/apps/asgi_app.py in a
subprocess on 127.0.0.1; every request of its `REQUESTS` must get the answer AstraAPI's native server gives
(status, headers but `date`, `server` and the framing a server adds, body bytes). Also: the lifespan ran
and its state reached the request; background tasks ran after the response; a WebSocket echoes."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from support.paths import APPS_DIR, REPO_DIR
from support.ws_raw import RawWS, close_payload, frame

FRAMING = {"date", "server", "transfer-encoding", "connection", "keep-alive"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(server: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "asgi_app:app", "--host", "127.0.0.1", "--port", str(port),
                "--lifespan", "on", "--log-level", "warning"]
    if server == "hypercorn":
        return [sys.executable, "-m", "hypercorn", "asgi_app:app", "--bind", f"127.0.0.1:{port}"]
    return [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "asgi_app:app"]


class ASGIServer:
    def __init__(self, server: str) -> None:
        pytest.importorskip(server)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS_DIR), str(REPO_DIR)])}
        self.process = subprocess.Popen(_command(server, self.port), cwd=APPS_DIR, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.base_url + "/log", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = self.stop()
                    raise RuntimeError(f"{server} did not start:\n{output}")
                time.sleep(0.1)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""


def _requests() -> list:
    spec = importlib.util.spec_from_file_location("asgi_app_requests", APPS_DIR / "asgi_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.REQUESTS


def _exchange(base_url: str) -> list:
    results = []
    # One connection per request: after an exception (the 500 of /error) uvicorn closes the connection,
    # as it does under FastAPI, whose ServerErrorMiddleware raises it again too.
    with httpx.Client(base_url=base_url, headers={"accept-encoding": "identity"},
                      limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for method, path, kwargs in _requests():
            response = client.request(method, path, follow_redirects=False, **kwargs)
            headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in FRAMING]
            if response.headers.get("content-encoding") == "gzip":  # compared decompressed
                headers = [(k, v) for k, v in headers if k != "content-length"]
            location = response.headers.get("location")
            if location:  # the host part names each server's port
                headers = [(k, v.replace(base_url, "http://SERVER")) for k, v in headers]
            # Where a server puts content-length among the headers is its own choice (granian: last).
            length = [v for k, v in headers if k == "content-length"]
            headers = [(k, v) for k, v in headers if k != "content-length"]
            results.append(((method, path), response.status_code, headers, length, response.content))
    return results


@pytest.fixture(scope="module")
def native_answers(start_server):
    server = start_server("asgi_app:app", "dynamic", cwd=APPS_DIR)
    return _exchange(server.base_url)


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn", "granian"])
def test_asgi_server_answers_as_the_native_server(native_answers, server):
    running = ASGIServer(server)
    try:
        got = _exchange(running.base_url)
        for want, have in zip(native_answers, got):
            assert have == want, f"{server} differs from the native server at {want[0]}"
        assert len(got) == len(native_answers)
        log = httpx.get(running.base_url + "/log").json()
        assert log[0] == "startup"
        assert "background ran" in log
        with RawWS(running.port, "/ws/bob") as ws:
            assert ws.status == 101
            ws.send(frame(0x1, b"hi"))
            assert ws.read_frame() == (True, 0x1, b"bob: hi")
            ws.send(frame(0x8, close_payload(1000)))
            code, _ = ws.read_close()
            assert code == 1000
        with RawWS(running.port, "/no-such-socket") as ws:
            assert ws.status == 403
        deadline = time.monotonic() + 5
        while "ws disconnect" not in httpx.get(running.base_url + "/log").json():
            assert time.monotonic() < deadline, "the WebSocket endpoint did not see the disconnect"
            time.sleep(0.05)
    finally:
        output = running.stop()
    assert "the endpoint failed" in output  # the 500's exception reached the server's log
