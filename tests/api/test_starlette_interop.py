"""Starlette's types where Starlette is installed, against a real server in both modes (the byte-for-byte
comparison with FastAPI is in tests/compat/test_example_apps.py: compat_starlette_*), and the import path
of apps that do not use Starlette (docs/internals.md, "Starlette interoperability")."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from astraapi.testclient import WebSocketTestSession, open_websocket
from support.paths import APPS_DIR, MODES, REPO_DIR

starlette = pytest.importorskip("starlette")


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("starlette_interop_app:app", request.param, cwd=APPS_DIR)


def test_request_and_datastructures_are_starlette_instances(server):
    answer = httpx.get(server.base_url + "/types?q=1")
    assert answer.status_code == 200
    assert answer.json() == {"request": True, "connection": True, "headers": True, "query_params": True,
                             "dependency_got": "Request"}


def test_websocket_is_a_starlette_instance(server):
    status, head, body, sock, reader = open_websocket(server.port, "/ws/blue", [], None)
    assert status == 101
    with WebSocketTestSession(None, None, sock, reader, head) as session:
        assert session.receive_json() == {"websocket": True, "connection": True, "room": "blue",
                                          "path_params": {"room": "blue"}, "dependency_got": "WebSocket"}


def test_response_sending_its_own_messages_is_run_as_an_asgi_app(server):
    answer = httpx.get(server.base_url + "/own-call")
    assert answer.status_code == 200 and answer.text == "own"
    assert answer.headers["transfer-encoding"] == "chunked"  # no content-length given: framed as uvicorn does


def test_starlette_middlewares_map_to_the_native_ones():
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from astraapi import FastAPI, middleware

    app = FastAPI(middleware=[Middleware(CORSMiddleware, allow_origins=["https://a.example"]),
                              Middleware(GZipMiddleware, minimum_size=10)])
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])
    app.add_middleware(HTTPSRedirectMiddleware)
    assert [(entry.cls.__module__, entry.cls.__name__) for entry in app.user_middleware] == [
        ("astraapi.middleware.httpsredirect", "HTTPSRedirectMiddleware"),
        ("astraapi.middleware.trustedhost", "TrustedHostMiddleware"),
        ("astraapi.middleware.cors", "CORSMiddleware"),
        ("astraapi.middleware.gzip", "GZipMiddleware"),
    ]
    assert isinstance(app.user_middleware[0], middleware.Middleware)
    with pytest.raises(TypeError):  # the native class checks Starlette's options the same way
        FastAPI().add_middleware(CORSMiddleware, allow_origins="https://a.example")


@pytest.fixture(scope="module", params=MODES)
def session_server(request, start_server):
    pytest.importorskip("itsdangerous")
    return start_server("starlette_session_app:app", request.param, cwd=APPS_DIR)


def test_starlette_session_middleware_runs_as_asgi_middleware(session_server):
    with httpx.Client(base_url=session_server.base_url) as client:
        assert client.get("/count").json() == {"n": 1}
        assert "session" in client.cookies
        assert client.get("/count").json() == {"n": 2}
    assert httpx.get(session_server.base_url + "/count").json() == {"n": 1}  # a new client, a new session


def test_starlette_authentication_middleware_sets_user_and_auth(session_server):
    assert httpx.get(session_server.base_url + "/whoami").json() == {"user": None, "scopes": []}
    answer = httpx.get(session_server.base_url + "/whoami", headers={"x-user": "ada"})
    assert answer.json() == {"user": "ada", "scopes": ["authenticated"]}


def test_request_session_without_the_middleware_is_starlettes_assertion():
    pytest.importorskip("itsdangerous")
    sys.path.insert(0, str(APPS_DIR))
    try:
        from starlette_session_app import plain
    finally:
        sys.path.remove(str(APPS_DIR))
    from astraapi.testclient import TestClient

    with TestClient(plain) as client, pytest.raises(AssertionError, match="SessionMiddleware must be installed"):
        client.get("/session")


def test_an_app_without_starlette_never_imports_it():
    """Declaring, analysing and answering (through the engine's exception and response paths) import no
    Starlette module: the interoperability looks Starlette up in sys.modules only."""
    script = """
import sys
from astraapi import FastAPI, HTTPException
from astraapi.testclient import TestClient
app = FastAPI()
@app.get("/items/{item_id:int}")
def read(item_id: int):
    if item_id == 0:
        raise HTTPException(404, "no")
    return {"item_id": item_id}
with TestClient(app) as client:
    answers = [client.get(p).status_code for p in ("/items/1", "/items/0", "/nowhere")]
print(answers, sorted(m for m in sys.modules if m.split(".")[0] == "starlette"))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[200, 404, 404] []"


def test_http_exception_before_accept_is_the_handshake_denial(server):
    """Starlette 1.10 (FastAPI 0.165) answers an HTTPException raised before accepting with the handler's
    response instead of the 101: here FastAPI's default JSON answer."""
    status, head, body, sock, reader = open_websocket(server.port, "/guarded-ws", [], None)
    sock.close()
    assert status == 401
    assert json.loads(body) == {"detail": "no token"}
    assert ("www-authenticate", "Bearer") in [(k.lower(), v) for k, v in head]
    status, head, body, sock, reader = open_websocket(server.port, "/guarded-ws?token=ok", [], None)
    assert status == 101
    with WebSocketTestSession(None, None, sock, reader, head) as session:
        assert session.receive_text() == "in"
