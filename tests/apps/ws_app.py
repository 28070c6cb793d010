"""WebSocket endpoints for tests/websockets (served in both modes; the same source runs under
FastAPI for the differential test, with only the import changed)."""

from typing import Annotated, Union

from astraapi import APIRouter, Cookie, Depends, FastAPI, Header, Query, WebSocket, WebSocketDisconnect, WebSocketException

app = FastAPI()
events: list = []


@app.get("/plain")
def plain():
    return {"plain": True}


@app.get("/events")
def get_events():
    return events


@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            events.append(["echo-disconnect", message["code"]])
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@app.websocket("/json")
async def json_echo(websocket: WebSocket):
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json({"got": data, "n": len(data) if isinstance(data, list) else None})
    events.append(["json-done"])


async def session_user(session: Annotated[Union[str, None], Cookie()] = None):
    events.append(["dep-enter", session])
    yield (session or "anonymous").upper()
    events.append(["dep-exit", session])


@app.websocket("/items/{item_id}")
async def item(websocket: WebSocket, item_id: int, user: Annotated[str, Depends(session_user)],
               q: Union[int, None] = None, x_token: Annotated[str, Header()] = "none"):
    await websocket.accept()
    await websocket.send_json({"item_id": item_id, "q": q, "token": x_token, "user": user,
                               "path": websocket.url.path, "params": dict(websocket.query_params)})
    await websocket.close()


@app.websocket("/sub")
async def sub(websocket: WebSocket):
    offered = websocket.headers.get("sec-websocket-protocol", "")
    choice = offered.split(",")[0].strip() or None
    await websocket.accept(subprotocol=choice, headers=[(b"x-extra", b"yes")])
    await websocket.send_text(offered)
    await websocket.close()


@app.websocket("/reject")
async def reject(websocket: WebSocket):
    await websocket.close(code=4001)


@app.websocket("/exc-before")
async def exc_before(websocket: WebSocket):
    raise WebSocketException(code=4004, reason="not here")


@app.websocket("/exc-after")
async def exc_after(websocket: WebSocket):
    await websocket.accept()
    raise WebSocketException(code=4003, reason="nope")


@app.websocket("/close-reason")
async def close_reason(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(code=4000, reason="bye")


@app.websocket("/wait-disconnect")
async def wait_disconnect(websocket: WebSocket):
    await websocket.accept()
    try:
        await websocket.receive_text()
    except WebSocketDisconnect as error:
        events.append(["disconnect", error.code, error.reason])


@app.websocket("/returns")
async def returns(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("bye")


@app.websocket("/needs-int/{n}")
async def needs_int(websocket: WebSocket, n: int, limit: Annotated[int, Query(gt=0)]):
    await websocket.accept()
    await websocket.send_text(f"{n}:{limit}")
    await websocket.close()


@app.get("/both")
def both_http():
    return {"via": "http"}


@app.websocket("/both")
async def both_ws(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("via websocket")
    await websocket.close()


router = APIRouter(prefix="/r")


@router.websocket("/ws")
async def routed(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("routed")
    await websocket.close()


async def added(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("added")
    await websocket.close(code=1001)


router.add_api_websocket_route("/added", added)
app.include_router(router)


@app.websocket("/denied")
async def denied(websocket: WebSocket):
    from astraapi.responses import JSONResponse

    await websocket.send_denial_response(JSONResponse({"detail": "go away"}, status_code=401,
                                                      headers={"x-why": "token"}))


from astraapi.security import HTTPBearer  # noqa: E402

bearer = HTTPBearer()


@app.websocket("/secured")
async def secured(websocket: WebSocket, credentials=Depends(bearer)):
    # Without credentials the security dependency raises HTTPException(401): the handshake's denial.
    await websocket.accept()
    await websocket.send_text(credentials.credentials)
    await websocket.close()


@app.websocket("/until-disconnect")
async def until_disconnect(websocket: WebSocket):
    await websocket.accept()
    while True:  # FastAPI's tutorial: receive_text raises WebSocketDisconnect when the client leaves
        await websocket.send_text(await websocket.receive_text())


# A mounted application's WebSocket routes (the mount path has a parameter of its own).
tenant = FastAPI()


@tenant.websocket("/room/{room}")
async def tenant_room(websocket: WebSocket, room: int):
    await websocket.accept()
    await websocket.send_text(f"room {room} of {websocket.url.path}")
    await websocket.close()


app.mount("/m/{tenant}", tenant)
