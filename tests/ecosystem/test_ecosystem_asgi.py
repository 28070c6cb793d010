"""The ecosystem apps (tests/apps/eco_*_app.py) the way their users test them: in-process through
`httpx.AsyncClient(transport=httpx.ASGITransport(app=app))`, and, for sentry-sdk (its client is global to
the process), served by uvicorn in a subprocess. The native server's runs: test_ecosystem_packages.py."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from support.paths import APPS_DIR, REPO_DIR

for _package in ("asgi_correlation_id", "prometheus_fastapi_instrumentator", "slowapi",
                 "opentelemetry.instrumentation.fastapi", "sentry_sdk", "a2wsgi", "sse_starlette", "uvicorn"):
    pytest.importorskip(_package)


def app_of(module: str, name: str = "app"):
    if str(APPS_DIR) not in sys.path:
        sys.path.insert(0, str(APPS_DIR))
    return getattr(importlib.import_module(module), name)


def run(app, requests, *, raise_app_exceptions: bool = True):
    """Send `requests` ((method, path, kwargs), ...) to `app` through ASGITransport; the responses."""
    async def main():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.request(method, path, **kwargs) for method, path, kwargs in requests]

    return asyncio.run(main())


def test_correlation_id_through_asgi_transport():
    given = {"X-Request-ID": "b" * 32}
    (item, generated) = run(app_of("eco_correlation_app"), [("GET", "/items/5", {"headers": given}),
                                                            ("GET", "/sync", {})])
    assert item.json() == {"item_id": 5, "endpoint": "b" * 32, "dependency": "b" * 32}
    assert item.headers["x-request-id"] == "b" * 32
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert generated.json() == {"endpoint": generated.headers["x-request-id"]}


def test_instrumentator_through_asgi_transport():
    responses = run(app_of("eco_prometheus_app"), [("GET", "/items/9", {}), ("GET", "/api/users/x", {}),
                                                   ("GET", "/metrics", {})])
    text = responses[-1].text
    assert 'http_requests_total{handler="/items/{item_id}",method="GET",status="2xx"}' in text
    assert 'http_requests_total{handler="/api/users/{user_id}",method="GET",status="2xx"}' in text


@pytest.mark.parametrize("name", ["app", "asgi_app"])
def test_slowapi_through_asgi_transport(name):
    app = app_of("eco_slowapi_app", name)
    statuses = [r.status_code for r in run(app, [("GET", "/default/7", {})] * 4)]
    assert statuses == [200, 200, 200, 429]
    limited = run(app, [("GET", "/limited-sync", {})] * 2)
    assert [r.status_code for r in limited] == [200, 429]
    assert limited[0].headers["x-ratelimit-limit"] == "1"


def test_opentelemetry_through_asgi_transport():
    app = app_of("eco_otel_app")
    run(app, [("GET", "/spans", {})])
    responses = run(app, [("GET", "/items/2", {}), ("GET", "/boom", {}), ("GET", "/spans", {})],
                    raise_app_exceptions=False)
    assert responses[1].status_code == 500 and responses[1].text == "Internal Server Error"
    assert responses[-1].json() == [
        {"name": "GET /items/{item_id}", "route": "/items/{item_id}", "status": "UNSET", "code": 200, "events": []},
        {"name": "GET /boom", "route": "/boom", "status": "ERROR", "code": 500, "events": ["exception"]},
    ]


def test_opentelemetry_sees_the_error_raised_through_asgi_transport():
    with pytest.raises(ValueError, match="boom"):
        run(app_of("eco_otel_app"), [("GET", "/boom", {})])


def test_wsgi_mount_and_sse_through_asgi_transport():
    (wsgi,) = run(app_of("eco_wsgi_app"), [("POST", "/wsgi/x?y=2", {"content": b"hi"})])
    assert wsgi.status_code == 201
    assert wsgi.text == "POST script=/wsgi path=/x query=y=2 body=hi host=testserver type="
    (events,) = run(app_of("eco_sse_app"), [("GET", "/events", {})])
    assert events.text.startswith("id: 0\r\nevent: tick\r\ndata: n0\r\n\r\n")
    assert events.text.endswith("event: end\r\ndata: bye\r\n\r\n")


# ------------------------------------------------------------------ sentry-sdk under uvicorn

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def uvicorn_sentry():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS_DIR), str(REPO_DIR)])}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "eco_sentry_app:app", "--host", "127.0.0.1",
                                "--port", str(port), "--log-level", "warning"], cwd=APPS_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base_url + "/items/0", timeout=1)
            break
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
    yield base_url
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_sentry_integration_under_uvicorn(uvicorn_sentry):
    base = uvicorn_sentry
    httpx.get(base + "/sentry-events", timeout=10)
    assert httpx.get(base + "/items/4", timeout=10).status_code == 200
    assert httpx.get(base + "/boom/y", timeout=10).status_code == 500
    deadline = time.monotonic() + 10
    while True:
        events = httpx.get(base + "/sentry-events", timeout=10).json()
        if len(events) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    summary = sorted((e["type"], e["transaction"], e["exception"], (e["mechanism"] or {}).get("type"), e["url"])
                     for e in events)
    assert summary == [
        ("event", "/boom/{kind}", "ValueError", "starlette", f"{base}/boom/y"),
        ("transaction", "/boom/{kind}", None, None, f"{base}/boom/y"),
        ("transaction", "/items/{item_id}", None, None, f"{base}/items/4"),
    ]
