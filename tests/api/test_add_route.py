"""Starlette's `app.add_route` / `@app.route` / `router.add_route` (instrumentation libraries add their
`/metrics` endpoint so): the endpoint gets the request alone, GET also answers HEAD, the route is not in
OpenAPI and the router's dependencies do not run on it, as FastAPI serves such a route."""

from __future__ import annotations

from astraapi import APIRouter, Depends, FastAPI, Request
from astraapi.responses import PlainTextResponse
from astraapi.routing import iter_route_contexts
from astraapi.testclient import TestClient

calls: list[str] = []


def recorded():
    calls.append("dependency")


def make_app() -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/r", dependencies=[Depends(recorded)])

    async def metrics(request: Request):
        return PlainTextResponse(f"metrics {request.method} {request.url.path}")

    def sync_endpoint(request: Request):
        return {"path_params": request.path_params}

    app.add_route("/metrics", metrics)
    router.add_route("/items/{item_id:int}", sync_endpoint, methods=["POST"], name="item")
    app.include_router(router)

    @app.route("/decorated", methods=["GET", "PUT"])
    async def decorated(request: Request):
        return {"method": request.method}

    return app


def test_add_route_serves_the_request_endpoint():
    app = make_app()
    with TestClient(app) as client:
        assert client.get("/metrics").text == "metrics GET /metrics"
        head = client.head("/metrics")
        assert head.status_code == 200 and head.text == ""
        assert client.post("/metrics").status_code == 405
        assert client.post("/r/items/5").json() == {"path_params": {"item_id": 5}}
        assert calls == []  # the router's dependencies do not run on Starlette-style routes
        assert client.put("/decorated").json() == {"method": "PUT"}
        paths = client.get("/openapi.json").json()["paths"]
        assert paths == {}
    assert app.url_path_for("item", item_id=3) == "/r/items/3"
    # FastAPI 0.165: an included router stays one entry of app.routes; iter_route_contexts gives its routes as served
    assert [c.path for c in iter_route_contexts(app.routes)][-3:] == ["/metrics", "/r/items/{item_id:int}", "/decorated"]
