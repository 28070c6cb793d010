"""WebSocket names under FastAPI's module path (`fastapi.websockets`).

WebSocket endpoints are not served yet: `WebSocket` exists so that imports and annotations
work, and using it raises NotImplementedError saying so. `WebSocketDisconnect` and
`WebSocketState` are the plain exception and enum FastAPI exports."""

from __future__ import annotations

import enum
from typing import Any

WEBSOCKETS_NOT_SUPPORTED = (
    "WebSocket endpoints are not supported by AstraAPI yet (astraapi.websockets.WebSocket is a placeholder); "
    "serve WebSockets through the ASGI entry point, or follow the AstraAPI issue on WebSocket support"
)


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(Exception):
    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""


class WebSocket:
    """Placeholder: raises NotImplementedError on use (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(WEBSOCKETS_NOT_SUPPORTED)


__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState"]
