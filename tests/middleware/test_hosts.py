"""TrustedHostMiddleware and HTTPSRedirectMiddleware: the same answers as FastAPI's (Starlette's),
byte for byte, in both modes, over a table of Host headers and paths."""

import pytest

from support.items_script import load_with_fastapi
from support.paths import APPS_DIR, MODES

A = "https://a.example"
TRUSTED = [
    ("GET", "/items", {"host": "www.example.com"}),
    ("GET", "/items?x=1", {"host": "example.com"}),
    ("GET", "/items", {"host": "example.com:8080"}),
    ("GET", "/items", {"host": "WWW.Example.com"}),
    ("GET", "/items", {"host": "a.api.test"}),
    ("GET", "/items", {"host": "api.test"}),
    ("GET", "/items", {"host": "evil.com"}),
    ("GET", "/items", {"host": "bad host"}),
    ("GET", "/items", {"host": "example.com:"}),
    ("GET", "/items", {"host": "[::1]:80"}),
    ("GET", "/items", {"host": "[zz::1]"}),
    ("GET", "/items", {"host": "127.0.0.1:5000"}),
    ("GET", "/nope", {"host": "example.com"}),
    ("GET", "/nope", {"host": "www.example.com"}),
    ("GET", "/caf%C3%A9?q=%20a", {"host": "example.com"}),
    ("GET", "/items", {"host": "evil.com", "origin": A}),
    ("OPTIONS", "/items", {"host": "evil.com", "origin": A, "access-control-request-method": "GET"}),
    ("HEAD", "/items", {"host": "evil.com"}),
]
HTTPS = [
    ("GET", "/items?x=1", {"host": "example.com"}),
    ("GET", "/items", {"host": "example.com:80"}),
    ("GET", "/items", {"host": "example.com:443"}),
    ("GET", "/items", {"host": "Example.com:8443"}),
    ("GET", "/items", {"host": "[::1]:8443"}),
    ("GET", "/nope", {"host": "example.com", "origin": A}),
    ("POST", "/items/", {"host": "example.com"}),
    ("GET", "/caf%C3%A9", {"host": "example.com"}),
]
TABLES = {"trusted": TRUSTED, "no_www": TRUSTED, "https": HTTPS}
IGNORED = ("date", "server")


def fetch_all(client, table) -> list:
    results = []
    for method, target, headers in table:
        response = client.request(method, target, headers=headers, follow_redirects=False)
        headers_out = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in IGNORED]
        results.append(((method, target, tuple(headers.items())), (response.status_code, headers_out,
                                                                   response.content)))
    return results


@pytest.fixture(scope="module")
def fastapi_results(tmp_path_factory):
    from fastapi.testclient import TestClient

    module = load_with_fastapi(APPS_DIR / "host_apps.py", tmp_path_factory.mktemp("hosts") / "unused.db")
    results = {}
    for name, table in TABLES.items():
        with TestClient(getattr(module, name)) as client:
            client.headers.pop("accept-encoding", None)
            client.headers.pop("user-agent", None)
            results[name] = fetch_all(client, table)
    return results


@pytest.mark.parametrize("config", list(TABLES))
@pytest.mark.parametrize("mode", MODES)
def test_hosts_like_fastapi(start_server, mode, config, fastapi_results):
    import httpx

    server = start_server(f"host_apps:{config}", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        client.headers.pop("accept-encoding", None)
        client.headers.pop("user-agent", None)
        ours = fetch_all(client, TABLES[config])
    for expected, actual in zip(fastapi_results[config], ours, strict=True):
        assert actual == expected, expected[0]


def test_host_options_are_checked_when_added():
    from astraapi import FastAPI
    from astraapi.middleware.trustedhost import TrustedHostMiddleware

    with pytest.raises(AssertionError, match=r"\*\.example\.com"):
        FastAPI().add_middleware(TrustedHostMiddleware, allowed_hosts=["example.*"])
    with pytest.raises(TypeError, match="list of strings"):
        FastAPI().add_middleware(TrustedHostMiddleware, allowed_hosts="example.com")


@pytest.mark.parametrize("mode", MODES)
def test_https_redirect_sees_the_scheme_the_server_sees(start_server, mode):
    """Under a trusted proxy (uvicorn's default: proxy headers on, 127.0.0.1 trusted) X-Forwarded-Proto
    says https: the request reaches the app; a WebSocket handshake over http is sent to wss."""
    import httpx

    from support.ws_raw import RawWS

    server = start_server("host_apps:https", mode, cwd=APPS_DIR)
    with httpx.Client(base_url=server.base_url) as client:
        forwarded = client.get("/items", headers={"host": "example.com", "x-forwarded-proto": "https"})
        assert (forwarded.status_code, forwarded.content) == (200, b'{"items":[1]}')
        plain = client.get("/items", headers={"host": "example.com"})
        assert (plain.status_code, plain.headers["location"]) == (307, "https://example.com/items")
    with RawWS(server.port, "/ws?x=1") as ws:  # RawWS sends `host: t`
        assert ws.status == 307, ws.head
        assert b"\r\nlocation: wss://t/ws?x=1\r\n" in ws.head
    with RawWS(server.port, "/ws", extra="x-forwarded-proto: https\r\n") as ws:  # wss through the proxy
        assert ws.status == 101, ws.head


def test_function_middleware_is_recorded_as_starlette_does():
    from astraapi import FastAPI
    from astraapi.middleware.base import BaseHTTPMiddleware

    app = FastAPI()

    @app.middleware("http")
    async def add_process_time(request, call_next):
        return await call_next(request)

    entry = app.user_middleware[0]
    assert entry.cls is BaseHTTPMiddleware and entry.kwargs == {"dispatch": add_process_time}
    with pytest.raises(AssertionError, match=r'only middleware\("http"\)'):
        app.middleware("websocket")
