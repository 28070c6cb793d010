"""A FastAPI app that uses Starlette's own classes (Starlette installed), for the example-app set:
Starlette's HTTPException with the default handler, its responses returned and as `response_class`
(background tasks included), `request: starlette.requests.Request`, and Starlette's CORS and GZip
middleware in `FastAPI(middleware=[Middleware(...)])`."""

import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.websockets import WebSocket

from astraapi import Depends, FastAPI

FILE = Path(tempfile.gettempdir()) / "compat-starlette-file.txt"
FILE_TEXT = "a file served by Starlette's FileResponse\n" * 3
if not FILE.exists() or FILE.read_text() != FILE_TEXT:
    FILE.write_text(FILE_TEXT)

app = FastAPI(middleware=[
    Middleware(CORSMiddleware, allow_origins=["https://a.example"], allow_methods=["GET", "POST"]),
    Middleware(GZipMiddleware, minimum_size=100),
])
done: list[str] = []


class CSVResponse(Response):
    media_type = "text/csv"

    def render(self, content) -> bytes:
        return "\n".join(",".join(str(cell) for cell in row) for row in content).encode()


async def remember(what: str) -> None:
    done.append(what)


@app.get("/items/{item_id}")
def read_item(item_id: int):
    if item_id == 0:
        raise StarletteHTTPException(404, "Starlette says no")
    if item_id == 1:
        raise StarletteHTTPException(418, headers={"x-why": "tea"})
    if item_id == 2:
        raise StarletteHTTPException(204)
    return {"item_id": item_id}


def starlette_guard(token: str | None = None):
    if token != "ok":
        raise StarletteHTTPException(401, "bad token", headers={"www-authenticate": "Bearer"})


@app.get("/guarded", dependencies=[Depends(starlette_guard)])
async def guarded():
    return {"guarded": True}


@app.get("/async-items/{item_id}")
async def read_item_async(item_id: int):
    if item_id == 0:
        raise StarletteHTTPException(400, {"why": ["a", "list"]})
    return {"item_id": item_id}


@app.get("/json")
async def json_response():
    return JSONResponse({"a": 1, "b": [1.5, None, "é"]}, status_code=201, headers={"x-extra": "1"},
                        background=BackgroundTask(remember, "json"))


@app.get("/done")
def what_ran():
    return done


@app.get("/text", response_class=PlainTextResponse)
def text():
    return "plain text"


@app.get("/html", response_class=HTMLResponse)
async def html():
    return "<h1>hello</h1>"


@app.get("/csv")
def csv() -> CSVResponse:
    return CSVResponse([[1, 2], ["a", "b"]])


@app.get("/redirect")
def redirect():
    return RedirectResponse("/json?x=a b", status_code=302)


@app.get("/stream")
def stream():
    def pieces():
        yield "one "
        yield b"two "
        yield "three" * 40

    return StreamingResponse(pieces(), media_type="text/plain", background=BackgroundTask(remember, "stream"))


@app.get("/file")
async def file():
    return FileResponse(FILE, filename="data.txt")


@app.get("/cookie")
def cookie():
    response = PlainTextResponse("cookie set")
    response.set_cookie("flavour", "oat", max_age=60, httponly=True)
    return response


@app.get("/request")
def request_info(request: Request):
    return {"is_starlette_request": isinstance(request, Request), "path": request.url.path,
            "q": request.query_params.get("q"), "agent": request.headers.get("user-agent")}


@app.websocket("/ws")
async def ws(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_json({"is_starlette_websocket": isinstance(websocket, WebSocket)})
    await websocket.close()


REQUESTS = [
    ("GET", "/items/5", {}),
    ("GET", "/items/0", {}),
    ("GET", "/items/1", {}),
    ("GET", "/items/2", {}),
    ("GET", "/async-items/0", {}),
    ("GET", "/guarded", {}),
    ("GET", "/guarded?token=ok", {}),
    ("GET", "/json", {}),
    ("GET", "/done", {}),
    ("GET", "/json", {"headers": {"origin": "https://a.example"}}),
    ("OPTIONS", "/json", {"headers": {"origin": "https://a.example", "access-control-request-method": "GET"}}),
    ("GET", "/text", {}),
    ("GET", "/html", {}),
    ("GET", "/csv", {}),
    ("GET", "/redirect", {}),
    ("GET", "/stream", {}),
    ("GET", "/done", {}),
    ("GET", "/file", {}),
    ("GET", "/file", {"headers": {"range": "bytes=2-9"}}),
    ("GET", "/cookie", {}),
    ("GET", "/request?q=x", {}),
    ("GET", "/openapi.json", {}),
]
