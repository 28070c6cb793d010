"""max_body_size and strict_content_type on the app, a router, an include and a path operation, for the
example-app set."""

from astraapi import APIRouter, FastAPI

app = FastAPI(max_body_size=64)
small = APIRouter(max_body_size=16)
big = APIRouter()
lax = APIRouter(strict_content_type=False)


@app.post("/app")
async def app_limit(payload: dict):
    return payload


@app.post("/route", max_body_size=8)
async def route_limit(payload: dict):
    return payload


@app.post("/route-bigger", max_body_size=128)
async def route_bigger(payload: dict):
    return payload


@small.post("/router")
async def router_limit(payload: dict):
    return payload


@big.post("/include")
async def include_limit(payload: dict):
    return payload


@app.get("/nobody")
def no_body():
    return {"ok": True}


@lax.post("/router")
async def lax_router(payload: dict):
    return payload


async def lax_route_strict(payload: dict):
    return payload


async def route_lax(payload: dict):
    return payload


# FastAPI takes a route's strict_content_type in add_api_route only (not in the decorators).
lax.add_api_route("/route-strict", lax_route_strict, methods=["POST"], strict_content_type=True)
app.router.add_api_route("/route-lax", route_lax, methods=["POST"], strict_content_type=False)


app.include_router(small, prefix="/small")
app.include_router(lax, prefix="/lax")
app.include_router(big, prefix="/big", max_body_size=4)

PAYLOAD_10 = {"json": {"a": "1234"}}  # {"a":"1234"} is 12 bytes
PAYLOAD_100 = {"json": {"a": "x" * 90}}

REQUESTS = [
    ("POST", "/app", PAYLOAD_10),
    ("POST", "/app", PAYLOAD_100),
    ("POST", "/route", PAYLOAD_10),
    ("POST", "/route", {"json": {}}),
    ("POST", "/route-bigger", PAYLOAD_100),
    ("POST", "/small/router", PAYLOAD_10),
    ("POST", "/small/router", {"json": {"a": "x" * 20}}),
    ("POST", "/big/include", PAYLOAD_10),
    ("GET", "/nobody", {"content": b"x" * 100}),
    ("POST", "/route", {"content": [b'{"a":', b'"123456789"}'], "headers": {"content-type": "application/json"}}),
    ("POST", "/route-bigger", {"content": [b'{"a":', b'"1"}'], "headers": {"content-type": "application/json"}}),
    ("POST", "/lax/router", {"content": b'{"a":1}'}),
    ("POST", "/lax/route-strict", {"content": b'{"a":1}'}),
    ("POST", "/route-lax", {"content": b'{"a":2}'}),
    ("POST", "/app", {"content": b'{"a":3}'}),
    ("POST", "/route-lax", {"content": b'{"a":2}', "headers": {"content-type": "text/plain"}}),
    ("GET", "/openapi.json", {}),
]
