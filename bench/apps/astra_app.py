"""The benchmark app, written as a FastAPI user writes one, importing from astraapi.

`bench/apps/fastapi_app.py` is generated from this file by changing the import
(`bench.apps.generate_fastapi_twin`); never edit the twin by hand.

With BENCH_GZIP=1 the app installs GZipMiddleware when the framework has one; the bench
serves the gzip route (/report) from such a second process, so the middleware's per-request
cost does not weigh on the other routes. Without it, /report answers uncompressed and the bench
marks that route n/a for the target. BENCH_MIDDLEWARE (below) likewise makes the middleware variants.
"""

import os
from typing import Optional

from astraapi import FastAPI

from bench.apps.models import CATALOG, REPORT, Catalog, Item, ItemIn

app = FastAPI()

if os.environ.get("BENCH_GZIP") == "1" and hasattr(app, "add_middleware"):
    try:
        from astraapi.middleware.gzip import GZipMiddleware
    except ImportError:
        GZipMiddleware = None
    if GZipMiddleware is not None:
        app.add_middleware(GZipMiddleware, minimum_size=1000)

# BENCH_MIDDLEWARE=function: one `@app.middleware("http")` that adds a header; =asgi: one pure ASGI
# middleware class that adds the same header (the bench's middleware routes are served from such a process).
if os.environ.get("BENCH_MIDDLEWARE") == "function":
    @app.middleware("http")
    async def add_header(request, call_next):
        response = await call_next(request)
        response.headers["x-middleware"] = "function"
        return response
elif os.environ.get("BENCH_MIDDLEWARE") == "asgi":
    class AddHeader:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return

            async def send_with_header(message):
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-middleware", b"asgi")]
                await send(message)

            await self.app(scope, receive, send_with_header)

    app.add_middleware(AddHeader)


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int, q: Optional[str] = None):
    return {"item_id": item_id, "q": q, "price": 9.5, "tags": ["a", "b"]}


@app.post("/items", response_model=ItemIn)
async def create_item(item: ItemIn):
    return item


@app.get("/catalog", response_model=Catalog)
async def catalog():
    return CATALOG


@app.get("/report")
async def report():
    return REPORT
