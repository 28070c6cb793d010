"""The benchmark app for BlackSheep (served by uvicorn with uvloop + httptools), with the same
Pydantic models as the reference app: bodies are validated and responses serialized by Pydantic."""

import os

from blacksheep import Application, FromJSON, Response, json
from blacksheep.contents import Content

from bench.apps.models import CATALOG, REPORT, Catalog, Item, ItemIn

app = Application()
if os.environ.get("BENCH_GZIP") == "1":
    from blacksheep.server.compression import GzipMiddleware, use_gzip_compression

    use_gzip_compression(app, GzipMiddleware(min_size=1000))

JSON = b"application/json"


def model_response(model) -> Response:
    return Response(200, None, Content(JSON, model.__pydantic_serializer__.to_json(model)))


@app.router.get("/")
async def root():
    return json({"message": "Hello World"})


@app.router.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    return model_response(Item(item_id=item_id, q=q, price=9.5, tags=["a", "b"]))


@app.router.post("/items")
async def create_item(item: FromJSON[ItemIn]):
    return model_response(item.value)


@app.router.get("/catalog")
async def catalog():
    return model_response(Catalog.model_validate(CATALOG))


@app.router.get("/report")
async def report():
    return json(REPORT)
