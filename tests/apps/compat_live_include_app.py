"""Live router inclusion (FastAPI 0.165): routers included before their routes are declared, a router
included into its parent after the parent was included, one router included twice under different
prefixes, the inclusion's settings (tags, dependencies, responses, default response class) applied to
routes declared later, url_path_for through inclusions, and the effective route an endpoint sees in
`request.scope["fastapi"]`, and low-priority routes, for the example-app set."""

from typing import Annotated

from astraapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from astraapi.responses import PlainTextResponse
from astraapi.routing import APIRoute


def token(x_token: Annotated[str, Header()] = ""):
    if x_token != "secret":
        raise HTTPException(403, "X-Token header invalid")


app = FastAPI()
api = APIRouter(prefix="/api", tags=["api"])
items = APIRouter(prefix="/items", tags=["items"])
admin = APIRouter()
shared = APIRouter()
texts = APIRouter()

# Included first, declared afterwards: the inclusions serve what the routers hold when the app is served.
app.include_router(api, responses={418: {"description": "Teapot"}})
api.include_router(items, dependencies=[Depends(token)])
app.include_router(admin, prefix="/admin", tags=["admin"], deprecated=True)
for version in ("/v1", "/v2"):
    app.include_router(shared, prefix=version)
app.include_router(texts, prefix="/texts", default_response_class=PlainTextResponse)


@items.get("/{item_id}", responses={404: {"description": "Missing"}})
def read_item(item_id: int, request: Request):
    context = request.scope["fastapi"]["effective_route_context"]
    return {"item_id": item_id, "route": context.path, "tags": list(context.tags)}


@admin.post("/reset", status_code=202)
def reset():
    return {"reset": True}


@shared.get("/ping/{name}", name="ping")
def ping(name: str, request: Request):
    return {"name": name, "url": request.url_path_for("ping", name=name)}


@texts.get("/hello")
def hello():
    return "hello"


# A router included into `api` after `api` was included into the app.
late = APIRouter(prefix="/late")
api.include_router(late, tags=["late"])


@late.get("/")
def read_late():
    return ["late"]


def low_text(name: str):
    return f"low {name}"


def low_json(name: str):
    return {"low": name}


# Low-priority routes (FastAPI 0.165's `_low_priority_routes`): answered only when no other route matched.
texts._low_priority_routes.append(APIRoute("/{name}", low_text, methods=["GET"]))
texts._mark_routes_changed()
app.router._low_priority_routes.append(APIRoute("/where/{name}/{more}", low_json, methods=["GET"]))
app.router._mark_routes_changed()


@app.get("/where/{name}")
def where(name: str):
    return {"path": app.url_path_for("ping", name=name), "late": app.url_path_for("read_late")}


REQUESTS = [
    ("GET", "/api/items/3", {"headers": {"x-token": "secret"}}),
    ("GET", "/api/items/3", {}),
    ("GET", "/api/items/x", {"headers": {"x-token": "secret"}}),
    ("POST", "/api/items/3", {"headers": {"x-token": "secret"}}),
    ("POST", "/admin/reset", {}),
    ("GET", "/admin/reset", {}),
    ("GET", "/v1/ping/a", {}),
    ("GET", "/v2/ping/b", {}),
    ("GET", "/texts/hello", {}),
    ("GET", "/texts/other", {}),
    ("GET", "/where/a/b", {}),
    ("GET", "/api/late/", {}),
    ("GET", "/api/late", {}),
    ("GET", "/where/c", {}),
    ("GET", "/openapi.json", {}),
]
