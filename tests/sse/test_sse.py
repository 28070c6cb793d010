"""Server-Sent Events (`astraapi.sse`, FastAPI 0.165's `fastapi.sse`): the event bytes, headers
and OpenAPI document against FastAPI, through our TestClient and real servers in both modes;
keep-alive pings; Last-Event-ID."""

from __future__ import annotations

import importlib.util
import sys

import httpx
import pytest

from astraapi import sse
from astraapi.testclient import TestClient
from support.paths import APPS_DIR

fastapi_sse = pytest.importorskip("fastapi.sse")
fastapi_testclient = pytest.importorskip("fastapi.testclient")

REQUESTS = [
    ("GET", "/items/stream", {}, None),
    ("GET", "/events", {}, None),
    ("GET", "/events", {"last-event-id": "7"}, None),
    ("GET", "/events", {"last-event-id": "x"}, None),  # 422
    ("GET", "/sync", {}, None),
    ("POST", "/post-events", {}, {"name": "p", "price": 1}),
    ("POST", "/post-events", {}, {"name": "p"}),  # 422
    ("GET", "/untyped", {}, None),
]


def _load(name: str, fastapi: bool):
    source = (APPS_DIR / "sse_app.py").read_text()
    if fastapi:
        source = source.replace("from astraapi import", "from fastapi import").replace(
            "from astraapi.sse import", "from fastapi.sse import")
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, str(APPS_DIR / "sse_app.py"), "exec"), module.__dict__)
    return module


def replay(client) -> list:
    out = []
    for method, path, headers, body in REQUESTS:
        response = client.request(method, path, headers=headers, json=body)
        kept = [(k, v) for k, v in response.headers.multi_items() if k not in ("date", "server", "content-length",
                                                                               "transfer-encoding")]
        out.append((method, path, response.status_code, kept, response.content))
    return out


@pytest.fixture(scope="module")
def reference():
    module = _load("fastapi_twin_sse_app", fastapi=True)
    with fastapi_testclient.TestClient(module.app) as client:
        return replay(client), module.app.openapi()


def test_format_sse_event_matches_fastapi():
    cases = [dict(data_str="x\ny", event="e", id="1", retry=5, comment="c\r\nd"), dict(), dict(data_str=""),
             dict(comment=""), dict(data_str="a\rb\r\n")]
    for case in cases:
        assert sse.format_sse_event(**case) == fastapi_sse.format_sse_event(**case)
    assert sse.KEEPALIVE_COMMENT == fastapi_sse.KEEPALIVE_COMMENT


@pytest.mark.parametrize("kwargs", [dict(event="a\nb"), dict(id="a\rb"), dict(id="a\0b"), dict(retry=-1),
                                    dict(data=1, raw_data="x")])
def test_server_sent_event_validation_matches_fastapi(kwargs):
    with pytest.raises(ValueError):
        fastapi_sse.ServerSentEvent(**kwargs)
    with pytest.raises(ValueError):
        sse.ServerSentEvent(**kwargs)


def test_testclient_matches_fastapi(reference):
    expected, _ = reference
    module = _load("astraapi_sse_app", fastapi=False)
    with TestClient(module.app) as client:
        ours = replay(client)
    for theirs, mine in zip(expected, ours):
        assert mine == theirs, f"differs from FastAPI at {theirs[:2]}"


def test_served_matches_fastapi(sse_server, reference):
    expected, _ = reference
    with httpx.Client(base_url=sse_server.base_url, headers={"host": "testserver"}) as client:
        ours = replay(client)
    for theirs, mine in zip(expected, ours):
        assert mine == theirs, f"differs from FastAPI at {theirs[:2]}"


def test_wire_framing(sse_server):
    from support.raw_http import exchange, without_date

    raw = without_date(exchange("127.0.0.1", sse_server.port,
                                b"GET /sync HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n"))
    assert raw == (b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                   b"cache-control: no-cache\r\nx-accel-buffering: no\r\nconnection: close\r\n"
                   b"transfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n")


def test_openapi_matches_fastapi(reference):
    _, expected = reference
    module = _load("astraapi_sse_app_openapi", fastapi=False)
    assert module.app.openapi() == expected
    assert "itemSchema" in expected["paths"]["/items/stream"]["get"]["responses"]["200"]["content"][
        "text/event-stream"]


def test_keepalive_ping_while_idle(monkeypatch):
    """The generator waits until the test has seen a ping, then is released: no clock in the assertion.
    (The in-process server of a TestClient, read over a raw socket, so the test sees each piece.)"""
    import socket

    import astraapi.routing

    # the interval the engine reads is routing's, as FastAPI's router reads fastapi.routing._PING_INTERVAL
    monkeypatch.setattr(astraapi.routing, "_PING_INTERVAL", 0.05)
    module = _load("astraapi_sse_app_ping", fastapi=False)
    with TestClient(module.app) as client:
        port = client._server_for_request().port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /slow HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            seen = b""
            while b": ping\n\n" not in seen:
                seen += sock.recv(65536)
            assert b'data: "first"\n\n' in seen
            assert client.get("/release").json() == {"released": True}
            while not seen.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(65536)
                assert chunk, "closed before the last chunk"
                seen += chunk
    assert b'data: "released"\n\n' in seen


def test_client_leaving_closes_the_generator():
    import asyncio
    import socket

    from astraapi import FastAPI
    from support.servers import wait_until

    app = FastAPI()
    finished: list[str] = []

    @app.get("/forever", response_class=sse.EventSourceResponse)
    async def forever():
        try:
            n = 0
            while True:
                yield {"n": n}
                n += 1
                await asyncio.sleep(0.01)
        finally:
            finished.append("closed")

    with TestClient(app) as client:
        port = client._server_for_request().port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /forever HTTP/1.1\r\nhost: t\r\n\r\n")
            seen = b""
            while b'data: {"n": 1}' not in seen:
                seen += sock.recv(65536)
        assert wait_until(lambda: finished == ["closed"], timeout=10)
