"""max_body_size and strict_content_type on the app, a router, an include and a path operation, for the
example-app set."""

from typing import Annotated

from astraapi import APIRouter, FastAPI, File, Form

app = FastAPI(max_body_size=64, form_limits={"max_fields": 3})
small = APIRouter(max_body_size=16)
big = APIRouter()
lax = APIRouter(strict_content_type=False)
forms = APIRouter(form_limits={"max_files": 1}, max_body_size=100_000)


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


@app.post("/form")
async def app_form(a: Annotated[str, Form()] = "", b: Annotated[str, Form()] = ""):
    return {"a": a, "b": b}


@forms.post("/files")
async def router_files(files: Annotated[list[bytes], File()] = [], note: Annotated[str, Form()] = ""):
    return {"files": len(files), "note": note}


@forms.post("/route-parts", form_limits={"max_part_size": 2048})
async def route_parts(note: Annotated[str, Form()] = ""):
    return {"note": len(note)}


app.include_router(small, prefix="/small")
app.include_router(forms, prefix="/forms", form_limits={"max_files": 5, "max_fields": 1})
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
    ("POST", "/form", {"data": {"a": "1", "b": "2"}}),
    ("POST", "/form", {"data": {"a": "1", "b": "2", "c": "3", "d": "4"}}),
    ("POST", "/forms/files", {"files": [("files", ("a", b"1"))], "data": {"note": "n"}}),
    ("POST", "/forms/files", {"files": [("files", ("a", b"1")), ("files", ("b", b"2"))]}),
    ("POST", "/forms/files", {"data": {"note": "n", "x": "y"}}),
    ("POST", "/forms/route-parts", {"data": {"note": "x" * 3000}}),
    ("POST", "/forms/route-parts", {"data": {"note": "x" * 1000}}),
    ("POST", "/lax/router", {"content": b'{"a":1}'}),
    ("POST", "/lax/route-strict", {"content": b'{"a":1}'}),
    ("POST", "/route-lax", {"content": b'{"a":2}'}),
    ("POST", "/app", {"content": b'{"a":3}'}),
    ("POST", "/route-lax", {"content": b'{"a":2}', "headers": {"content-type": "text/plain"}}),
    ("GET", "/openapi.json", {}),
]
