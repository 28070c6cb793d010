"""The routes every target serves, the request wrk sends for each, and the check that a
target's answer is the right one (a target that answers otherwise is marked, not measured)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from bench.apps.models import CATALOG, NEW_ORDER_ID, ORDERS, REPORT, TOKEN, USER
from bench.loadgen import Request

ITEM_BODY = {"name": "Widget", "price": 9.5, "tags": ["a", "b"], "description": None}
ORDER_BODY = {"product_id": 1001, "quantity": 2, "note": "leave at the door"}
AUTH = (("Authorization", f"Bearer {TOKEN}"),)


@dataclass(frozen=True)
class Route:
    key: str
    title: str
    request: Request
    expected: object
    gzip: bool = False  # served by the BENCH_GZIP=1 variant, must answer content-encoding: gzip
    middleware: str | None = None  # served by the BENCH_MIDDLEWARE=<this> variant, must answer x-middleware
    status: int = 200  # the status the route must answer

    @property
    def variant(self) -> str:
        return "gzip" if self.gzip else f"mw-{self.middleware}" if self.middleware else "main"


# The server processes the routes are served from: variant -> environment.
VARIANTS = {"main": {}, "gzip": {"BENCH_GZIP": "1"}, "mw-function": {"BENCH_MIDDLEWARE": "function"},
            "mw-asgi": {"BENCH_MIDDLEWARE": "asgi"}}


ROUTES = (
    Route("hello", "GET /", Request("GET", "/"), {"message": "Hello World"}),
    Route("item", "GET /items/{id}?q=", Request("GET", "/items/42?q=hello"),
          {"item_id": 42, "q": "hello", "price": 9.5, "tags": ["a", "b"]}),
    Route("post", "POST /items", Request("POST", "/items", (("Content-Type", "application/json"),),
                                         json.dumps(ITEM_BODY, separators=(",", ":")).encode()), ITEM_BODY),
    Route("catalog", "GET /catalog (50 nested)", Request("GET", "/catalog"), CATALOG),
    Route("gzip", "GET /report (gzip 10 KB)", Request("GET", "/report", (("Accept-Encoding", "gzip"),)),
          REPORT, gzip=True),
    Route("item-mw-function", "GET /items/{id}?q= (function middleware)", Request("GET", "/items/42?q=hello"),
          {"item_id": 42, "q": "hello", "price": 9.5, "tags": ["a", "b"]}, middleware="function"),
    Route("item-mw-asgi", "GET /items/{id}?q= (pure ASGI middleware)", Request("GET", "/items/42?q=hello"),
          {"item_id": 42, "q": "hello", "price": 9.5, "tags": ["a", "b"]}, middleware="asgi"),
)


def _real_app_routes() -> tuple[Route, ...]:
    """The production-shaped set (issue 14), in the main process and behind one function middleware.
    The expected bodies are pydantic's JSON of the values (UUIDs, e-mails, enums, aware datetimes)."""
    from pydantic import TypeAdapter

    from bench.apps.models import OrderOut, UserOut

    me = TypeAdapter(UserOut).dump_python(UserOut.model_validate(USER), mode="json")
    page = TypeAdapter(list[OrderOut]).dump_python([OrderOut.model_validate(o) for o in ORDERS[:20]], mode="json")
    created = OrderOut.model_validate({"id": NEW_ORDER_ID, "customer_email": USER["email"], **ORDER_BODY,
                                      "total": 19.99 * 2, "status": "pending", "created_at": USER["created_at"]})
    create = Request("POST", "/orders", (("Content-Type", "application/json"), *AUTH),
                     json.dumps(ORDER_BODY, separators=(",", ":")).encode())
    routes = []
    for middleware in (None, "function"):
        tag = f"-mw-{middleware}" if middleware else ""
        note = " (function middleware)" if middleware else ""
        routes += [
            Route(f"me{tag}", f"GET /users/me (auth + yield dep){note}", Request("GET", "/users/me", AUTH), me,
                  middleware=middleware),
            Route(f"orders{tag}", f"GET /orders?limit=20 (auth + Depends() class, 20 models){note}",
                  Request("GET", "/orders?limit=20", AUTH), page, middleware=middleware),
            Route(f"order-create{tag}", f"POST /orders (auth + body + BackgroundTasks, 201){note}", create,
                  created.model_dump(mode="json"), middleware=middleware, status=201),
        ]
    return tuple(routes)


ROUTES = ROUTES + _real_app_routes()
BY_KEY = {route.key: route for route in ROUTES}


def check(route: Route, host: str, port: int, timeout: float = 5.0) -> str | None:
    """None when the target answers the route correctly, else why not (for the report)."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        request = route.request
        connection.request(request.method, request.path, body=request.body or None, headers=dict(request.headers))
        response = connection.getresponse()
        body = response.read()
        if response.status != route.status:
            return f"answers {response.status}: {body[:120]!r}"
        if route.middleware and response.getheader("x-middleware") != route.middleware:
            return f"no x-middleware: {route.middleware} header (the middleware did not run)"
        encoding = (response.getheader("content-encoding") or "").lower()
        if route.gzip:
            if encoding != "gzip":
                return "answers uncompressed (no gzip response compression)"
            body = gzip.decompress(body)
        elif encoding:
            return f"unexpected content-encoding {encoding}"
        try:
            value = json.loads(body)
        except ValueError:
            return f"answers non-JSON: {body[:120]!r}"
        if value != route.expected:
            return f"answers a different body: {body[:160]!r}"
        return None
    except OSError as exc:
        return f"request failed: {exc}"
    finally:
        connection.close()
