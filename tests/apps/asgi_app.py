"""An app for tests/asgi/test_asgi_servers.py: served by uvicorn, hypercorn and granian as an ASGI
application, and by AstraAPI's native server, the answers compared byte for byte. `REQUESTS` lists
what is sent; `/log` tells what the lifespan and the background tasks did."""

import os
from collections.abc import AsyncIterable
from contextlib import asynccontextmanager
from typing import Optional

from pydantic import BaseModel

from astraapi import BackgroundTasks, FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from astraapi.middleware.cors import CORSMiddleware
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import FileResponse, PlainTextResponse, StreamingResponse
from astraapi.sse import EventSourceResponse

LOG: list = []
SERVED_FILE = os.path.join(os.path.dirname(os.__file__), "this.py")  # the same file for every copy of the app


@asynccontextmanager
async def lifespan(app):
    LOG.append("startup")
    yield {"greeting": "hello from the lifespan"}
    LOG.append("shutdown")


app = FastAPI(lifespan=lifespan)
app.add_middleware(GZipMiddleware, minimum_size=500)
app.add_middleware(CORSMiddleware, allow_origins=["https://example.org"], allow_methods=["*"])


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: Optional[str] = None):
    return {"item_id": item_id, "q": q}


@app.post("/items")
def create_item(item: Item):
    return item


@app.get("/state")
async def state(request: Request):
    scope = request.scope
    return {"greeting": request.state.greeting, "root_path": scope["root_path"], "type": scope["type"],
            "path": scope["path"], "path_params": scope.get("path_params")}


@app.get("/log")
def log():
    return LOG


@app.get("/big")
def big():
    return {"data": "x" * 2000}


@app.get("/stream")
async def stream():
    async def numbers():
        for i in range(5):
            yield f"line {i}\n"
    return StreamingResponse(numbers(), media_type="text/plain")


@app.get("/file")
def file():
    return FileResponse(SERVED_FILE, media_type="text/x-python")


@app.get("/events", response_class=EventSourceResponse)
async def events() -> AsyncIterable[Item]:
    yield Item(name="a", price=1.5)
    yield {"name": "b", "price": 2}


@app.get("/lines")
async def lines() -> AsyncIterable[Item]:
    yield Item(name="c", price=3)


@app.get("/background")
async def background(tasks: BackgroundTasks):
    tasks.add_task(LOG.append, "background ran")
    return PlainTextResponse("queued")


@app.get("/teapot")
async def teapot():
    raise HTTPException(418, detail={"short": "and stout"}, headers={"x-pot": "1"})


@app.get("/error")
async def error():
    raise ValueError("the endpoint failed")


@app.websocket("/ws/{name}")
async def ws(websocket: WebSocket, name: str):
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"{name}: {text}")
    except WebSocketDisconnect:
        LOG.append("ws disconnect")


REQUESTS = [
    ("GET", "/items/3?q=x", {}),
    ("GET", "/items/abc", {}),
    ("POST", "/items", {"json": {"name": "a", "price": 1.5, "tags": ["t"]}}),
    ("POST", "/items", {"json": {"name": "a"}}),
    ("POST", "/items", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("GET", "/state", {}),
    ("GET", "/big", {"headers": {"accept-encoding": "gzip"}}),
    ("GET", "/stream", {}),
    ("GET", "/file", {}),
    ("GET", "/file", {"headers": {"range": "bytes=10-19"}}),
    ("HEAD", "/file", {}),
    ("GET", "/teapot", {}),
    ("GET", "/error", {}),
    ("GET", "/nowhere", {}),
    ("HEAD", "/nowhere", {}),
    ("DELETE", "/items/3", {}),
    ("GET", "/items/3/", {}),
    ("OPTIONS", "/items/3", {"headers": {"origin": "https://example.org", "access-control-request-method": "GET"}}),
    ("GET", "/items/3", {"headers": {"origin": "https://example.org"}}),
    ("GET", "/background", {}),
    ("GET", "/events", {}),
    ("GET", "/lines", {}),
    ("GET", "/openapi.json", {}),
]
