"""The benchmark app for socketify's native API (uWebSockets), with the same Pydantic models as
the reference app. socketify has no response compression: the gzip route answers uncompressed,
and the bench marks it n/a. Run: python -m bench.apps.socketify_app (PORT in the environment)."""

import json
import os

from socketify import App, AppListenOptions

from bench.apps.models import CATALOG, REPORT, Catalog, Item, ItemIn

JSON = b"application/json"
HELLO = {"message": "Hello World"}


def root(res, req):
    res.send(json.dumps(HELLO, separators=(",", ":")), content_type=JSON)


def read_item(res, req):
    item = Item(item_id=req.get_parameter(0), q=req.get_query("q"), price=9.5, tags=["a", "b"])
    res.send(item.model_dump_json(), content_type=JSON)


async def create_item(res, req):
    data = await res.get_data()
    item = ItemIn.model_validate_json(data.getvalue())
    res.send(item.model_dump_json(), content_type=JSON)


def catalog(res, req):
    res.send(Catalog.model_validate(CATALOG).model_dump_json(), content_type=JSON)


def report(res, req):
    res.send(json.dumps(REPORT, separators=(",", ":")), content_type=JSON)


def main() -> None:
    app = App()
    app.get("/", root)
    app.get("/items/:item_id", read_item)
    app.post("/items", create_item)
    app.get("/catalog", catalog)
    app.get("/report", report)
    port = int(os.environ["PORT"])
    app.listen(AppListenOptions(port=port, host="127.0.0.1"),
               lambda config: print(f"serving on http://127.0.0.1:{port}", flush=True))
    app.run()


if __name__ == "__main__":
    main()
