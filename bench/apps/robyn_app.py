"""The benchmark app for Robyn (Rust runtime), with the same Pydantic models as the reference
app. Robyn has no response compression: the gzip route answers uncompressed, and the bench marks
it n/a. Run: python -m bench.apps.robyn_app --processes 1 --workers 1 (PORT in the environment)."""

import json
import os

from robyn import Response, Robyn

from bench.apps.models import CATALOG, REPORT, Catalog, Item, ItemIn

app = Robyn(__file__)
JSON = {"content-type": "application/json"}


@app.get("/")
async def root(request):
    return Response(200, JSON, json.dumps({"message": "Hello World"}, separators=(",", ":")))


@app.get("/items/:item_id")
async def read_item(request):
    item = Item(item_id=request.path_params["item_id"], q=request.query_params.get("q", None),
                price=9.5, tags=["a", "b"])
    return Response(200, JSON, item.model_dump_json())


@app.post("/items")
async def create_item(request):
    item = ItemIn.model_validate_json(request.body)
    return Response(200, JSON, item.model_dump_json())


@app.get("/catalog")
async def catalog(request):
    return Response(200, JSON, Catalog.model_validate(CATALOG).model_dump_json())


@app.get("/report")
async def report(request):
    return Response(200, JSON, json.dumps(REPORT, separators=(",", ":")))


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ["PORT"]), _check_port=False)
