"""One app per CORSMiddleware configuration, the same routes in each (tests/middleware/test_cors.py)."""

from astraapi import FastAPI, HTTPException, WebSocket
from astraapi.middleware.cors import CORSMiddleware
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import JSONResponse, PlainTextResponse, StreamingResponse


def make(gzip: str | None = None, error_handler: bool = False, **cors) -> FastAPI:
    app = FastAPI()
    if error_handler:  # Starlette's ServerErrorMiddleware calls it, outside CORS: no CORS headers

        @app.exception_handler(Exception)
        async def on_error(request, exc):
            return JSONResponse({"error": type(exc).__name__}, status_code=500, headers={"Vary": "Cookie"})

    if gzip == "inner":  # added first: CORS is outside it
        app.add_middleware(GZipMiddleware, minimum_size=100)
    app.add_middleware(CORSMiddleware, **cors)
    if gzip == "outer":
        app.add_middleware(GZipMiddleware, minimum_size=100)

    @app.get("/items")
    def read_items():
        return {"items": [1, 2]}

    @app.post("/items", status_code=201)
    async def create_item():
        return {"created": True}

    @app.get("/headers")
    async def with_headers():
        return PlainTextResponse("hi", headers={"Vary": "Accept-Language", "X-Custom": "1",
                                                "Access-Control-Allow-Origin": "https://mine.example"})

    @app.get("/raise")
    async def raise_teapot():
        raise HTTPException(418, "no coffee", headers={"X-Why": "tea"})

    @app.get("/value")
    async def value_error():
        raise ValueError("bad")

    @app.exception_handler(ValueError)
    async def on_value_error(request, exc):
        return JSONResponse({"value": str(exc)}, status_code=409)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("unhandled")

    @app.get("/stream")
    async def stream():
        async def pieces():
            yield b"one,"
            yield b"two"

        return StreamingResponse(pieces(), media_type="text/csv")

    @app.get("/big")
    async def big():
        return {"rows": ["row %d" % i for i in range(100)]}

    @app.websocket("/ws")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    @app.options("/opt")
    async def options_route():
        return {"options": "route"}

    return app


wildcard = make(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
explicit = make(gzip="inner", allow_origins=["https://a.example", "https://b.example"],
                allow_methods=["GET", "POST"], allow_headers=["X-Custom"], max_age=300)
credentials = make(gzip="outer", allow_origins=["*"], allow_credentials=True,
                   expose_headers=["X-Custom", "X-Total"], allow_private_network=True)
regex = make(error_handler=True, allow_origin_regex=r"https://.*\.example\.org", allow_origins=["https://a.example"],
             allow_methods=["GET"], allow_headers=["*"], allow_credentials=True)

# A mounted app's own CORSMiddleware answers for everything under its mount, the outer app has none.
mounted = FastAPI()
mounted.mount("/sub", make(allow_origins=["https://a.example"], allow_methods=["GET", "DELETE"]))


@mounted.get("/outer")
async def outer():
    return {"outer": True}
