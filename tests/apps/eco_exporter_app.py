"""starlette-exporter, unmodified: its PrometheusMiddleware (route templates as `path` labels) and its
`handle_metrics` endpoint added with `app.add_route`. tests/ecosystem/test_ecosystem_packages.py."""

from starlette_exporter import PrometheusMiddleware, handle_metrics

from astraapi import FastAPI

app = FastAPI()
app.add_middleware(PrometheusMiddleware, app_name="eco", group_paths=True)
app.add_route("/metrics", handle_metrics)


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"item_id": item_id}


@app.post("/items")
def create_item(item: dict):
    return item
