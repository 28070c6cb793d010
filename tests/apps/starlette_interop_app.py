"""What libraries check on Starlette's types (Starlette installed): isinstance of the request, its headers
and query parameters, the WebSocket; and a Starlette response class that sends its own ASGI messages,
which AstraAPI refuses loudly (a 500 and a logged error naming the class)."""

from starlette.datastructures import Headers, QueryParams
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from astraapi import Depends, FastAPI

app = FastAPI()


def connection_kind(connection: HTTPConnection) -> str:
    return type(connection).__name__


@app.get("/types")
def types(request: Request, kind: str = Depends(connection_kind)):
    return {
        "request": isinstance(request, Request),
        "connection": isinstance(request, HTTPConnection),
        "headers": isinstance(request.headers, Headers),
        "query_params": isinstance(request.query_params, QueryParams),
        "dependency_got": kind,
    }


@app.websocket("/ws/{room}")
async def ws(websocket: WebSocket, room: str, kind: str = Depends(connection_kind)):
    await websocket.accept()
    await websocket.send_json({"websocket": isinstance(websocket, WebSocket),
                               "connection": isinstance(websocket, HTTPConnection),
                               "room": room, "path_params": websocket.path_params, "dependency_got": kind})
    await websocket.close()


class OwnASGIResponse(Response):
    async def __call__(self, scope, receive, send):  # sends its own messages
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"own"})


@app.get("/own-call")
def own_call():
    return OwnASGIResponse("x")


def websocket_guard(token: str | None = None):
    if token != "ok":
        from starlette.exceptions import HTTPException

        raise HTTPException(401, "no token", headers={"www-authenticate": "Bearer"})


@app.websocket("/guarded-ws", dependencies=[Depends(websocket_guard)])
async def guarded_ws(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("in")
    await websocket.close()
