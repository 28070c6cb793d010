"""Python middleware in Starlette's order with a native one: a function middleware (`@app.middleware`),
a BaseHTTPMiddleware subclass and a pure ASGI middleware, around routes that answer, stream, fail, read
the body and read what the middleware set (context variables, request.state). For the example-app set
(tests/compat/test_example_apps.py): every answer byte-identical to FastAPI's."""

import contextvars

from starlette.middleware.base import BaseHTTPMiddleware

from astraapi import Depends, FastAPI, HTTPException, Request
from astraapi.middleware import Middleware
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

USER: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="anonymous")


class HeaderASGI:
    """Pure ASGI: adds a response header, rewrites a request header, records the order."""

    def __init__(self, app, name: str = "x-asgi", value: str = "yes") -> None:
        self.app = app
        self.name = name.encode()
        self.value = value.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"x-drop"] + [(b"x-added", b"by-asgi")]

        async def wrapped(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (self.name, self.value),
                                      (b"x-scope-route", str(scope.get("route") is not None).encode())]
            await send(message)

        await self.app(scope, receive, wrapped)


class Order(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        if request.headers.get("x-short") == "1":
            return PlainTextResponse("short-circuited", status_code=418)
        response = await call_next(request)
        response.headers["x-order"] = response.headers.get("x-order", "") + "class;"
        return response


app = FastAPI(middleware=[Middleware(HeaderASGI, name="x-outer", value="1")])
app.add_middleware(Order)
app.add_middleware(GZipMiddleware, minimum_size=100)


@app.middleware("http")
async def function_middleware(request: Request, call_next):
    USER.set(request.headers.get("x-user", "nobody"))
    request.state.tag = "set-by-middleware"
    if request.url.path == "/mw-error":
        raise RuntimeError("raised in the middleware")
    body = await request.body()
    try:
        response = await call_next(request)
    except ValueError:
        return JSONResponse({"caught": True}, status_code=500)
    response.headers["x-order"] = "function;"
    response.headers["x-body-length"] = str(len(body))
    if request.url.path == "/rewrite":
        chunks = [chunk async for chunk in response.body_iterator]
        return Response(b"rewritten:" + b"".join(chunks), status_code=response.status_code,
                        headers={"x-rewritten": "1"}, media_type="text/plain")
    return response


def current_user():
    return USER.get()


@app.get("/")
async def root():
    return {"hello": "world"}


@app.get("/context")
async def context(request: Request, user: str = Depends(current_user)):
    return {"user": user, "var": USER.get(), "tag": request.state.tag,
            "added": request.headers.get("x-added"), "drop": request.headers.get("x-drop")}


@app.get("/sync")
def sync_endpoint():
    return {"user": USER.get()}


@app.post("/echo")
async def echo(payload: dict):
    return payload


@app.post("/raw")
async def raw(request: Request):
    return PlainTextResponse((await request.body()).decode())


@app.get("/stream")
async def stream():
    async def numbers():
        for i in range(5):
            yield f"line {i}\n"
    return StreamingResponse(numbers(), media_type="text/plain")


@app.get("/big")
async def big():
    return PlainTextResponse("x" * 1000)


@app.get("/rewrite")
async def rewrite():
    return {"original": True}


@app.get("/missing")
async def missing():
    raise HTTPException(404, "no such thing", headers={"x-reason": "gone"})


@app.get("/value-error")
async def value_error():
    raise ValueError("caught by the function middleware")


@app.get("/error")
async def error():
    raise RuntimeError("nobody catches this")


@app.get("/mw-error")
async def mw_error():
    return {"never": "reached"}


REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/context", {"headers": {"x-user": "alice", "x-drop": "1"}}),
    ("GET", "/sync", {"headers": {"x-user": "bob"}}),
    ("POST", "/echo", {"json": {"a": [1, 2.5, None], "b": "text"}}),
    ("POST", "/echo", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("POST", "/raw", {"content": b"the body, read twice"}),
    ("GET", "/stream", {}),
    ("GET", "/big", {}),
    ("GET", "/big", {"headers": {"accept-encoding": "identity"}}),
    ("GET", "/rewrite", {}),
    ("GET", "/missing", {}),
    ("GET", "/value-error", {}),
    ("GET", "/error", {}),
    ("GET", "/mw-error", {}),
    ("GET", "/", {"headers": {"x-short": "1"}}),
    ("GET", "/nowhere", {}),
    ("POST", "/", {}),
    ("HEAD", "/", {}),
]
