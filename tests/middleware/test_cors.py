"""CORSMiddleware: the same answers as FastAPI's (Starlette's) middleware, byte for byte, in both
modes: preflights allowed and refused on any path (routed, 404, 405), simple requests with and
without an origin, HTTPException and exception-handler answers, the unhandled 500 (outside the
middleware, no CORS headers), streams, and the order with GZipMiddleware."""

import gzip

import httpx
import pytest

from support.items_script import load_with_fastapi
from support.paths import APPS_DIR, MODES

CONFIGS = ["wildcard", "explicit", "credentials", "regex", "mounted"]
A = "https://a.example"
EVIL = "https://evil.example"
ORG = "https://api.example.org"


def preflight(path, origin, method, headers=None, **extra):
    h = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        h["access-control-request-headers"] = headers
    h.update(extra)
    return ("OPTIONS", path, h)


REQUESTS = [
    ("GET", "/items", {}),
    ("GET", "/items", {"origin": A}),
    ("GET", "/items", {"origin": EVIL}),
    ("GET", "/items", {"origin": ORG}),
    ("HEAD", "/items", {"origin": A}),
    ("POST", "/items", {"origin": A}),
    ("GET", "/headers", {"origin": A}),
    ("GET", "/headers", {}),
    ("GET", "/raise", {"origin": A}),
    ("GET", "/value", {"origin": ORG}),
    ("GET", "/boom", {"origin": A}),
    ("GET", "/stream", {"origin": A}),
    ("GET", "/big", {"origin": A, "accept-encoding": "gzip"}),
    ("GET", "/big", {"origin": EVIL}),
    ("GET", "/nope", {"origin": A}),
    ("GET", "/nope", {}),
    ("GET", "/openapi.json", {"origin": A}),
    ("GET", "/docs", {"origin": A}),
    ("GET", "/items/?q=1", {"origin": A}),  # the router's trailing-slash redirect
    preflight("/items/", A, "GET"),
    ("DELETE", "/items", {"origin": A}),
    ("OPTIONS", "/items", {"origin": A}),  # no access-control-request-method: not a preflight (405)
    ("OPTIONS", "/opt", {"origin": A}),
    preflight("/items", A, "POST"),
    preflight("/items", A, "DELETE"),
    preflight("/items", A, "GET", "X-Custom, content-type"),
    preflight("/items", A, "GET", "x-other"),
    preflight("/items", EVIL, "PUT", "x-other"),
    preflight("/items", ORG, "GET"),
    preflight("/nope/deeper", A, "GET"),
    preflight("/opt", A, "GET"),
    preflight("/items", A, "GET", **{"access-control-request-private-network": "true"}),
    preflight("/items", A, "get"),
]

MOUNTED_REQUESTS = [
    ("GET", "/sub/items", {"origin": A}),
    ("GET", "/sub/items", {"origin": EVIL}),
    ("DELETE", "/sub/items", {"origin": A}),
    ("GET", "/sub/nope", {"origin": A}),
    ("GET", "/sub/items/", {"origin": A}),
    preflight("/sub/nope", A, "DELETE"),
    preflight("/sub/items", EVIL, "GET"),
    ("GET", "/outer", {"origin": A}),
    ("GET", "/nope", {"origin": A}),
    preflight("/outer", A, "GET"),
]
TABLES = {"mounted": MOUNTED_REQUESTS}

IGNORED = ("date", "server", "transfer-encoding")


def observed(response: httpx.Response, raw: bytes) -> tuple:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in IGNORED]
    # a redirect's location names the server: http://testserver for the TestClient
    base = f"{response.request.url.scheme}://{response.request.url.netloc.decode()}"
    headers = [(k, v.replace(base, "<base>") if k == "location" else v) for k, v in headers]
    if response.headers.get("content-encoding") == "gzip":  # libdeflate's bytes: compare decompressed
        headers = [(k, "<n>" if k == "content-length" else v) for k, v in headers]
        raw = gzip.decompress(raw)
    return response.status_code, headers, raw


def fetch_all(client, table=REQUESTS) -> list:
    results = []
    for method, path, headers in table:
        request = client.build_request(method, path, headers=headers)
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        results.append(((method, path, tuple(headers.items())), observed(response, raw)))
    return results


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    from fastapi.testclient import TestClient

    module = load_with_fastapi(APPS_DIR / "cors_apps.py", tmp_path_factory.mktemp("cors") / "unused.db")
    assert module.CORSMiddleware.__module__ == "starlette.middleware.cors"  # FastAPI's own, for reference
    results = {}
    for name in CONFIGS:
        with TestClient(getattr(module, name), raise_server_exceptions=False) as client:
            client.headers.pop("accept-encoding", None)
            client.headers.pop("user-agent", None)
            results[name] = fetch_all(client, TABLES.get(name, REQUESTS))
    return results


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", MODES)
def test_cors_like_fastapi(start_server, mode, config, fastapi_results):
    server = start_server(f"cors_apps:{config}", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        client.headers.pop("accept-encoding", None)
        client.headers.pop("user-agent", None)
        ours = fetch_all(client, TABLES.get(config, REQUESTS))
    expected_all = fastapi_results[config]
    assert len(ours) == len(expected_all)
    for expected, actual in zip(expected_all, ours):
        assert actual == expected, expected[0]


def test_cors_options_are_checked_when_added():
    from astraapi import FastAPI
    from astraapi.middleware.cors import CORSMiddleware

    app = FastAPI()
    with pytest.raises(TypeError, match=r"allow_origins must be a list of strings.*\['https://a.example'\]"):
        app.add_middleware(CORSMiddleware, allow_origins="https://a.example")
    with pytest.raises(Exception, match="unterminated|missing"):
        app.add_middleware(CORSMiddleware, allow_origin_regex="(")
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    with pytest.raises(NotImplementedError, match="already added"):
        app.add_middleware(CORSMiddleware, allow_origins=["*"])


def test_cors_settings_enter_the_ir():
    from astraapi.introspection.app import build_ir
    from astraapi.ir.nodes import AppIR, CorsIR

    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("cors_apps_ir", APPS_DIR / "cors_apps.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cors_apps_ir"] = module
    spec.loader.exec_module(module)
    ir = build_ir(module.credentials, openapi=False)
    assert ir.cors == CorsIR(allow_origins=("*",), allow_credentials=True, expose_headers=("X-Custom", "X-Total"),
                             allow_private_network=True)
    assert ir.middleware_order == ("gzip", "cors")
    assert build_ir(module.explicit, openapi=False).middleware_order == ("cors", "gzip")
    assert AppIR.from_json(ir.to_json()).cors == ir.cors


def test_middleware_list_order_is_starlettes():
    """FastAPI(middleware=[A, B]): A is the outermost, as `add_middleware(B)` then `add_middleware(A)`."""
    from astraapi import FastAPI
    from astraapi.introspection.app import build_ir
    from astraapi.middleware import Middleware
    from astraapi.middleware.cors import CORSMiddleware
    from astraapi.middleware.gzip import GZipMiddleware

    listed = FastAPI(middleware=[Middleware(CORSMiddleware, allow_origins=["*"]), Middleware(GZipMiddleware)])
    assert build_ir(listed, openapi=False).middleware_order == ("cors", "gzip")
    added = FastAPI()
    added.add_middleware(GZipMiddleware)
    added.add_middleware(CORSMiddleware, allow_origins=["*"])
    assert [m.cls for m in added.user_middleware] == [m.cls for m in listed.user_middleware]


@pytest.mark.parametrize("mode", MODES)
def test_websocket_handshake_passes_cors(start_server, mode):
    """A WebSocket handshake is no HTTP request to Starlette's CORSMiddleware: no CORS headers."""
    from support.ws_raw import RawWS, close_payload, frame

    server = start_server("cors_apps:explicit", mode, cwd=APPS_DIR)
    with RawWS(server.port, "/ws", extra=f"origin: {A}\r\n") as ws:
        assert ws.status == 101, ws.head
        assert b"access-control" not in ws.head.lower() and b"vary" not in ws.head.lower()
        ws.send(frame(0x1, b"hello"))
        assert ws.read_frame() == (True, 0x1, b"hello")
        ws.send(frame(0x8, close_payload(1000)))
