"""WebSocket endpoints at the app level: the same conversations through FastAPI's TestClient
(the reference, in process), AstraAPI's TestClient (a real server), and real servers in dynamic
and compiled mode."""

from __future__ import annotations

import importlib.util
import sys

import httpx
import pytest

from astraapi import FastAPI, WebSocket
from astraapi.testclient import TestClient, WebSocketTestSession, open_websocket
from astraapi.websockets import WebSocketDisconnect
from support.paths import APPS_DIR

fastapi_testclient = pytest.importorskip("fastapi.testclient")


def _talk(connect, path, actions, **kwargs):
    """Run one conversation; the transcript records what came back, or how it ended."""
    out = []
    try:
        with connect(path, **kwargs) as ws:
            out.append(("subprotocol", ws.accepted_subprotocol))
            for action, *args in actions:
                result = getattr(ws, action)(*args)
                if action.startswith("receive"):
                    out.append((action, result))
    except Exception as error:  # Starlette's WebSocketDisconnect is another class than ours
        if type(error).__name__ != "WebSocketDisconnect":
            raise
        out.append(("disconnect", error.code, error.reason))
    return out


SCENARIOS = [
    ("/echo", [("send_text", "hi"), ("receive_text",), ("send_bytes", b"\x00\x01"), ("receive_bytes",),
               ("send_text", "é" * 70000), ("receive_text",)], {}),
    ("/json", [("send_json", [1, 2]), ("receive_json",), ("send_json", {"a": "é"}), ("receive_json",)], {}),
    ("/items/5?q=3&z=zz", [("receive_json",), ("receive",)], {"headers": {"x-token": "t1", "cookie": "session=abc"}}),
    ("/items/5", [("receive_json",)], {}),
    ("/items/abc", [("receive_json",)], {}),
    ("/sub", [("receive_text",)], {"subprotocols": ["chat", "superchat"]}),
    ("/reject", [("receive_text",)], {}),
    ("/exc-before", [("receive_text",)], {}),
    ("/exc-after", [("receive_text",)], {}),
    ("/close-reason", [("receive_text",)], {}),
    ("/returns", [("receive_text",)], {}),
    ("/needs-int/3?limit=2", [("receive_text",)], {}),
    ("/needs-int/3?limit=0", [("receive_text",)], {}),
    ("/r/ws", [("receive_text",)], {}),
    ("/r/added", [("receive_text",), ("receive_text",)], {}),
    ("/nowhere", [("receive_text",)], {}),
    ("/m/acme/room/7", [("receive_text",), ("receive_text",)], {}),
    ("/m/acme/nowhere", [("receive_text",)], {}),
]


def transcripts(connect):
    return [_talk(connect, path, actions, **kwargs) for path, actions, kwargs in SCENARIOS]


def _load_fastapi_twin():
    source = (APPS_DIR / "ws_app.py").read_text().replace("from astraapi import", "from fastapi import").replace(
        "from astraapi.", "from fastapi.")
    spec = importlib.util.spec_from_loader("fastapi_twin_ws_app", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, str(APPS_DIR / "ws_app.py"), "exec"), module.__dict__)
    return module


def _load_ours():
    spec = importlib.util.spec_from_file_location("astraapi_ws_app", APPS_DIR / "ws_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference():
    module = _load_fastapi_twin()
    with fastapi_testclient.TestClient(module.app) as client:
        result = transcripts(client.websocket_connect)
    return result, module.events


def test_testclient_matches_fastapi(reference):
    expected, expected_events = reference
    module = _load_ours()
    with TestClient(module.app) as client:
        ours = transcripts(client.websocket_connect)
    for scenario, theirs, mine in zip(SCENARIOS, expected, ours):
        assert mine == theirs, f"differs from FastAPI at {scenario[0]}"
    # The yield dependency ran around the endpoint the same way.
    deps = [e for e in expected_events if e[0].startswith("dep")]
    assert [e for e in module.events if e[0].startswith("dep")] == deps


def _served_connect(server):
    def connect(path, subprotocols=None, headers=None):
        lines = [f"{name}: {value}" for name, value in (headers or {}).items()]
        status, head, body, sock, reader = open_websocket(server.port, path, lines, subprotocols)
        if status != 101:
            sock.close()
            raise WebSocketDisconnect(code=-status)  # the wire carries only the HTTP status
        return WebSocketTestSession(None, None, sock, reader, head)
    return connect


def test_served_matches_fastapi(ws_server, reference):
    """A real server in each mode: the same conversations, except that a handshake closed before
    accepting shows as uvicorn's 403 on the wire (the app's code stays on the server)."""
    expected, _ = reference
    ours = transcripts(_served_connect(ws_server))
    for scenario, theirs, mine in zip(SCENARIOS, expected, ours):
        if theirs and theirs[0][0] == "disconnect":  # rejected before accept
            assert mine == [("disconnect", -403, "")], scenario[0]
        else:
            assert mine == theirs, f"differs from FastAPI at {scenario[0]}"


def test_served_events_and_disconnect_codes(ws_server):
    connect = _served_connect(ws_server)
    with connect("/wait-disconnect") as ws:
        ws.close(4500, "client says bye")
    with connect("/wait-disconnect") as ws:
        ws._sock.close()  # no close frame
    with connect("/echo") as ws:  # let the server finish the two above
        ws.send_text("sync")
        assert ws.receive_text() == "sync"
    events = httpx.get(ws_server.base_url + "/events").json()
    disconnects = [e for e in events if e[0] == "disconnect"]
    assert ["disconnect", 4500, "client says bye"] in disconnects
    assert ["disconnect", 1006, ""] in disconnects


def test_exception_after_accept_drops_the_connection():
    app = FastAPI()

    @app.websocket("/boom")
    async def boom(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("before")
        raise RuntimeError("endpoint failed")

    with TestClient(app) as client:
        with pytest.raises(RuntimeError, match="endpoint failed"):
            with client.websocket_connect("/boom") as ws:
                assert ws.receive_text() == "before"
                ws.receive_text()
    with TestClient(app, raise_server_exceptions=False) as client:
        # leaving the session raises the endpoint's error whatever the setting, as Starlette's session does
        with pytest.raises(RuntimeError, match="endpoint failed"):
            with client.websocket_connect("/boom") as ws:
                assert ws.receive_text() == "before"
                with pytest.raises(WebSocketDisconnect) as info:
                    ws.receive_text()
                assert info.value.code == 1006  # no close frame: uvicorn drops the transport


def test_websocket_routes_are_not_in_openapi():
    module = _load_ours()
    twin = _load_fastapi_twin()
    assert module.app.openapi() == twin.app.openapi()
    assert not any("/echo" in path for path in module.app.openapi()["paths"])


def test_denial_response_matches_fastapi(ws_server):
    twin = _load_fastapi_twin()
    with fastapi_testclient.TestClient(twin.app) as client:
        with pytest.raises(Exception) as theirs:
            client.websocket_connect("/denied").__enter__()
    module = _load_ours()
    with TestClient(module.app) as client:
        with pytest.raises(Exception) as ours:
            client.websocket_connect("/denied")
    assert type(theirs.value).__name__ == type(ours.value).__name__ == "WebSocketDenialResponse"
    for response in (theirs.value, ours.value):
        assert (response.status_code, response.json(), response.headers["x-why"]) == (401, {"detail": "go away"},
                                                                                     "token")
    # On the wire, in both modes: the app's response, then the connection closes.
    from support.raw_http import without_date
    from support.ws_raw import handshake_bytes

    import socket

    with socket.create_connection(("127.0.0.1", ws_server.port), timeout=10) as sock:
        sock.sendall(handshake_bytes("/denied"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert without_date(data) == (b"HTTP/1.1 401 Unauthorized\r\nserver: astraapi\r\nx-why: token\r\n"
                                  b"content-length: 20\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                                  b'{"detail":"go away"}')


def test_http_exception_from_a_security_dependency_is_the_denial_response(ws_server):
    twin = _load_fastapi_twin()
    module = _load_ours()
    results = []
    for client_class, app in ((fastapi_testclient.TestClient, twin.app), (TestClient, module.app)):
        with client_class(app) as client:
            with pytest.raises(Exception) as denied:
                client.websocket_connect("/secured").__enter__()
            response = denied.value
            results.append((type(response).__name__, response.status_code, response.json(),
                            response.headers["www-authenticate"]))
            with client.websocket_connect("/secured", headers={"authorization": "Bearer t0k"}) as ws:
                assert ws.receive_text() == "t0k"
    assert results[0] == results[1] == ("WebSocketDenialResponse", 401, {"detail": "Not authenticated"}, "Bearer")
    # On the wire, in both modes (it was a 500 and a server error)
    from support.raw_http import without_date
    from support.ws_raw import handshake_bytes

    import socket

    with socket.create_connection(("127.0.0.1", ws_server.port), timeout=10) as sock:
        sock.sendall(handshake_bytes("/secured"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = without_date(data).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 Unauthorized\r\n") and b"\r\nwww-authenticate: Bearer\r\n" in head
    assert body == b'{"detail":"Not authenticated"}'


def test_the_endpoints_websocket_disconnect_reaches_the_test_as_in_fastapi():
    module = _load_ours()
    with TestClient(module.app) as client:
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect("/until-disconnect") as ws:
                ws.send_text("one")
                assert ws.receive_text() == "one"
