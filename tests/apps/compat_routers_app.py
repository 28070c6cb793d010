"""Nested routers: prefixes, tags, dependencies, responses, callbacks and limits given at each level,
default response classes, hidden routes and custom operation ids, for the example-app set."""

from typing import Annotated

from astraapi import APIRouter, Depends, FastAPI, Header, HTTPException
from astraapi.responses import ORJSONResponse, PlainTextResponse
from astraapi.routing import APIRoute


def custom_id(route: APIRoute) -> str:
    return f"{route.tags[0] if route.tags else 'default'}-{route.name}"


def token(x_token: Annotated[str, Header()]):
    if x_token != "secret":
        raise HTTPException(400, "X-Token header invalid")


app = FastAPI(generate_unique_id_function=custom_id, responses={500: {"description": "Oops"}})
v1 = APIRouter(prefix="/v1", tags=["v1"], responses={404: {"description": "Not found v1"}})
users = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(token)], deprecated=True)
texts = APIRouter(default_response_class=PlainTextResponse)


@users.get("/")
def list_users():
    return [{"name": "ann"}]


@users.get("/{name}", responses={403: {"description": "Forbidden"}}, include_in_schema=False)
def read_user(name: str):
    return {"name": name}


@texts.get("/hello")
def hello():
    return "hello"


@texts.get("/json", response_class=ORJSONResponse)
def json_route():
    return {"a": 1}


v1.include_router(users)
v1.include_router(texts, prefix="/texts", tags=["texts"])
app.include_router(v1, prefix="/api", dependencies=[Depends(token)], responses={418: {"description": "Tea"}})


@app.get("/health", tags=["ops"], summary="Health check", description="Always up.", operation_id="health")
def health():
    return {"ok": True}


REQUESTS = [
    ("GET", "/api/v1/users/", {"headers": {"x-token": "secret"}}),
    ("GET", "/api/v1/users/", {}),
    ("GET", "/api/v1/users/ann", {"headers": {"x-token": "nope"}}),
    ("GET", "/api/v1/texts/hello", {"headers": {"x-token": "secret"}}),
    ("GET", "/api/v1/texts/json", {"headers": {"x-token": "secret"}}),
    ("GET", "/health", {}),
    ("GET", "/openapi.json", {}),
]
