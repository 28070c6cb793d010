"""WebSockets and the server's life: graceful shutdown closes them with 1012; exception handlers
and dependency overrides apply to WebSocket endpoints."""

from __future__ import annotations

import signal

import pytest

from astraapi import Depends, FastAPI, WebSocket
from astraapi.testclient import TestClient
from astraapi.websockets import WebSocketDisconnect
from support.paths import APPS_DIR, MODES
from support.ws_raw import RawWS, close_payload, frame


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_closes_websockets_with_1012(start_server, mode):
    server = start_server("ws_app:app", mode, cwd=APPS_DIR)
    with RawWS(server.port, "/echo") as ws:
        ws.send(frame(0x1, b"ready?"))
        assert ws.read_frame() == (True, 0x1, b"ready?")
        server.process.send_signal(signal.SIGTERM)
        assert ws.read_close() == (1012, b"")
        ws.send(frame(0x8, close_payload(1012)))
        assert ws.at_eof()
    assert server.process.wait(10) == 0


class Refused(Exception):
    pass


def test_registered_exception_handler_gets_the_websocket():
    app = FastAPI()

    @app.exception_handler(Refused)
    async def refused(websocket: WebSocket, exc: Refused):
        await websocket.close(code=4400, reason=str(exc))

    def real_user() -> str:
        raise Refused("no real users in tests")

    @app.websocket("/me")
    async def me(websocket: WebSocket, user: str = Depends(real_user)):
        await websocket.accept()
        await websocket.send_text(user)
        if user == "boom":
            raise Refused("after accept")

    with TestClient(app) as client:
        with pytest.raises(WebSocketDisconnect) as info:
            client.websocket_connect("/me")
        assert (info.value.code, info.value.reason) == (4400, "no real users in tests")
        app.dependency_overrides[real_user] = lambda: "boom"
        with client.websocket_connect("/me") as ws:
            assert ws.receive_text() == "boom"
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert (info.value.code, info.value.reason) == (4400, "after accept")


def test_handshakes_are_logged_as_uvicorn_does(caplog):
    app = FastAPI()

    @app.websocket("/in")
    async def accepted(websocket: WebSocket):
        await websocket.accept()
        await websocket.close()

    @app.websocket("/out")
    async def refused(websocket: WebSocket):
        await websocket.close()

    caplog.set_level("INFO", logger="astraapi.error")
    with TestClient(app) as client:
        with client.websocket_connect("/in?x=1") as ws:
            with pytest.raises(WebSocketDisconnect):
                ws.receive_text()
        with pytest.raises(WebSocketDisconnect):
            client.websocket_connect("/out")
    lines = [r.getMessage().split(" - ", 1)[1] for r in caplog.records if "WebSocket" in r.getMessage()]
    assert lines == ['"WebSocket /in?x=1" [accepted]', '"WebSocket /out" 403']
