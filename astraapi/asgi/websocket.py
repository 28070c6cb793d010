"""A WebSocket handshake to a mounted ASGI app: the app gets the `websocket` scope, and `receive` /
`send` are the connection's ASGI-style messages (astraapi.websockets.WebSocket drives the native
connection: accept, frames, close, a denial response)."""

from __future__ import annotations

from typing import Any

from astraapi.engine.responses import error_logger, report_server_error


async def serve_websocket(asgi_app: Any, scope: dict, native: Any, label: str) -> None:
    from astraapi.websockets import WebSocket, WebSocketState

    websocket = WebSocket(native, {}, app=scope.get("app"), state=scope.get("state"))
    try:
        await asgi_app(scope, websocket.receive, websocket.send)
    except Exception as error:  # what uvicorn does with it: 500 before accepting, else drop the connection
        error_logger.error("Exception in %s", label, exc_info=error)
        report_server_error(error)
        if websocket.application_state == WebSocketState.CONNECTING:
            websocket.application_state = WebSocketState.DISCONNECTED
            if not native.responded:
                native.respond(500, [(b"content-length", b"21"), (b"content-type", b"text/plain; charset=utf-8")],
                               b"Internal Server Error")
        elif websocket.application_state == WebSocketState.CONNECTED:
            websocket.application_state = WebSocketState.DISCONNECTED
            native.abort()
        return
    finally:
        if websocket.application_state != WebSocketState.DISCONNECTED:
            await websocket._finish()
