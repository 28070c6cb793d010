"""Python middleware on the native server, through a real server in both modes (tests/apps/python_middleware_app.py):
pure ASGI middleware (the scope before and after routing, rewritten request headers, a wrapped receive, a
replaced or self-streamed response, http.disconnect after the response), BaseHTTPMiddleware with options, mounted
ASGI apps (a plain ASGI callable, a Starlette app, a WebSocket through it), the direct call kept only for apps
without Python middleware, and what `astraapi inspect` says. Byte comparisons with FastAPI: tests/compat
(compat_middleware_app)."""

from __future__ import annotations

import json

import httpx
import pytest

from astraapi.testclient import WebSocketTestSession, open_websocket
from support.paths import APPS_DIR, MODES
from support.servers import run_cli

pytest.importorskip("starlette")

SCOPE_BEFORE = "app,asgi,client,headers,http_version,method,path,query_string,raw_path,root_path,scheme,server,state,type"


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server):
    return start_server("python_middleware_app:app", request.param, cwd=APPS_DIR)


def get(server, method, path, **kwargs):
    return httpx.request(method, server.base_url + path, timeout=10, **kwargs)


def test_asgi_middleware_sees_a_starlette_scope_and_the_route_after_routing(server):
    response = get(server, "GET", "/items/3")
    assert response.status_code == 200
    assert response.json() == {"item_id": 3, "from_middleware": "1", "tag": "outer-tag"}
    assert response.headers["x-scope-before"] == SCOPE_BEFORE  # no route keys before the app ran
    assert response.headers["x-scope-route"] == "/items/{item_id}"
    assert response.headers["x-scope-endpoint"] == "read_item"
    assert json.loads(response.headers["x-scope-path-params"]) == {"item_id": "3"}
    assert response.headers["x-scope-router"] == "True"
    assert response.headers["x-tag"] == "outer-tag"  # BaseHTTPMiddleware subclass with an option


def test_unmatched_requests_go_through_the_middleware_without_a_route(server):
    response = get(server, "GET", "/nothing")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    assert response.headers["x-scope-route"] == "" and response.headers["x-scope-router"] == "False"
    assert response.headers["x-tag"] == "outer-tag"


def test_a_wrapped_receive_changes_the_body_the_endpoint_reads(server):
    response = get(server, "POST", "/upper", content=b"shout this")
    assert response.status_code == 200 and response.text == "SHOUT THIS"


def test_streamed_answers_pass_through_as_streams(server):
    response = get(server, "GET", "/stream")
    assert response.status_code == 200 and response.text == "part 0;part 1;part 2;"
    assert response.headers["transfer-encoding"] == "chunked" and "content-length" not in response.headers
    assert response.headers["x-tag"] == "outer-tag"


def test_a_middleware_replaces_or_streams_the_response_itself(server):
    replaced = get(server, "GET", "/replaced")
    assert (replaced.status_code, replaced.text, replaced.headers["content-type"]) == (
        203, "replaced by the middleware", "text/plain")
    own = get(server, "GET", "/own-stream")
    assert own.status_code == 200 and own.text == "one,two,three"
    assert own.headers["transfer-encoding"] == "chunked"


def test_receive_gives_http_disconnect_once_the_response_is_complete(server):
    assert get(server, "GET", "/after").json() == {"ok": True}
    assert get(server, "GET", "/after-seen").json() == {"after": ["http.disconnect", "http.disconnect"]}


def test_an_exception_below_the_middleware_is_starlettes_500(server):
    response = get(server, "GET", "/fails")
    assert response.status_code == 500 and response.text == "Internal Server Error"
    assert "x-tag" not in response.headers  # raised through call_next, answered outside every middleware


def test_a_mounted_plain_asgi_app_gets_starlettes_mount_scope(server):
    response = get(server, "GET", "/plain/a/b?x=1")
    assert response.status_code == 200
    assert response.json() == {"path": "/plain/a/b", "root_path": "/plain", "query": "x=1", "method": "GET"}
    assert response.headers["x-scope-route"] == "/plain" and response.headers["x-scope-path-params"] == "{}"
    redirect = get(server, "GET", "/plain")
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("/plain/")


def test_a_mounted_starlette_app_answers_http_and_websockets(server):
    response = get(server, "GET", "/star/hello")
    assert response.json() == {"path": "/star/hello", "root_path": "/star"}
    assert get(server, "GET", "/star/missing").status_code == 404
    status, _, _, sock, reader = open_websocket(server.port, "/star/ws", [])
    assert status == 101
    with WebSocketTestSession(None, None, sock, reader, []) as session:
        session.send_text("hi")
        assert session.receive_text() == "/star:hi|tagged"  # the pure ASGI middleware wraps mounts too


def test_a_websocket_route_runs_inside_pure_asgi_middleware(server):
    status, _, _, sock, reader = open_websocket(server.port, "/ws-route", [])
    assert status == 101
    with WebSocketTestSession(None, None, sock, reader, []) as session:
        session.send_text("hi")
        assert session.receive_text() == "route:hi:ws-mw|tagged"
        with pytest.raises(Exception) as closed:
            session.receive_text()
        assert getattr(closed.value, "code", None) == 1001


@pytest.mark.parametrize("mode", MODES)
def test_only_apps_with_python_middleware_lose_the_direct_call(start_server, mode):
    def engine_called(server):
        response = httpx.get(server.base_url + "/plain", timeout=10)
        assert response.status_code == 200
        return response.json()["engine"]

    plain = start_server("direct_routes_app:app", mode, cwd=APPS_DIR)
    with_middleware = start_server("direct_routes_app:function_middleware_app", mode, cwd=APPS_DIR)
    for _ in range(2):  # compiled mode: a route's first request analyses it on the handler path
        engine_called(plain), engine_called(with_middleware)
    assert engine_called(plain) is False
    assert engine_called(with_middleware) is True
    assert httpx.get(with_middleware.base_url + "/plain", timeout=10).headers["x-function"] == "1"


def test_inspect_names_the_python_middleware_and_its_cost(tmp_path):
    done = run_cli(["inspect", "python_middleware_app:app", "--route", "/items/{item_id}", "--build-dir",
                    str(tmp_path)], cwd=APPS_DIR)
    assert done.returncode == 0, done.stderr
    assert "Python middleware (outermost first): WebSocketTagger (ASGI), Replace (ASGI), Tagger (call_next), Recorder (ASGI)" in done.stdout
    assert "cost: no direct call" in done.stdout
    assert "direct call: no: Python middleware wraps every request" in done.stdout
    plain = run_cli(["inspect", "direct_routes_app:app", "--route", "/plain", "--build-dir", str(tmp_path)],
                    cwd=APPS_DIR)
    assert "Python middleware: none" in plain.stdout and "direct call: yes" in plain.stdout
