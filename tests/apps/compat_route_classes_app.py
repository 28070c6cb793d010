"""Routing API for the example-app set: response_model_include/_exclude, include_router's
default_response_class at several levels, custom route classes (a handler wrapper that adds a
header, a Request class that un-gzips the body, one that catches the validation error), Starlette's
`router.route` and a functools.partial endpoint."""

import gzip
from functools import partial
from typing import Annotated

from pydantic import BaseModel

from astraapi import APIRouter, Body, FastAPI, HTTPException, Request, Response
from astraapi.exceptions import RequestValidationError
from astraapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from astraapi.routing import APIRoute


class Part(BaseModel):
    foo: str
    bar: str


class Item(BaseModel):
    name: str
    description: str | None = None
    price: float
    tax: float = 10.5
    parts: list[Part] = []
    main: Part | None = None


ITEM = {"name": "Bar", "description": "The bartenders", "price": 62, "tax": 20.2,
        "parts": [{"foo": "a", "bar": "b"}, {"foo": "c", "bar": "d"}], "main": {"foo": "m", "bar": "n"}}

app = FastAPI()


@app.get("/include-set", response_model=Item, response_model_include={"name", "price"})
def include_set():
    return ITEM


@app.get("/include-list", response_model=Item, response_model_include=["name", "description"])
def include_list():
    return Item(**ITEM)


@app.get("/exclude-nested", response_model=Item,
         response_model_exclude={"tax": ..., "main": {"bar"}, "parts": {"__all__": {"foo"}}})
def exclude_nested():
    return ITEM


@app.get("/include-index", response_model=Item, response_model_include={"name": True, "parts": {0: {"bar"}}})
async def include_index():
    return ITEM


@app.get("/include-exclude", response_model=Item, response_model_include={"name", "tax", "main"},
         response_model_exclude={"tax"}, response_model_exclude_none=True)
async def include_exclude():
    return {"name": "Foo", "price": 1.5, "main": None}


@app.get("/include-class", response_model=Item, response_model_include={"name"}, response_class=HTMLResponse)
def include_class():
    return ITEM


@app.get("/include-list-model", response_model=list[Item], response_model_exclude={"__all__": {"parts", "main"}})
def include_list_model():
    return [ITEM, {"name": "Baz", "price": 3}]


# default_response_class: the route's, else its router's, else the include's, else the including router's.
leaf = APIRouter()
html_leaf = APIRouter(default_response_class=HTMLResponse)


@leaf.get("/plain")
def leaf_plain():
    return "leaf"


@leaf.get("/json", response_class=JSONResponse)
def leaf_json():
    return {"leaf": True}


@html_leaf.get("/html")
def leaf_html():
    return "<b>leaf</b>"


middle = APIRouter(default_response_class=JSONResponse)
middle.include_router(leaf, prefix="/leaf", default_response_class=PlainTextResponse)
middle.include_router(html_leaf, prefix="/html-leaf", default_response_class=PlainTextResponse)
middle.include_router(leaf, prefix="/again")  # middle's own default


@middle.get("/own")
def middle_own():
    return {"middle": True}


app.include_router(middle, prefix="/middle", default_response_class=HTMLResponse)


# Custom route classes.
class TimedRoute(APIRoute):
    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response = await original(request)
            response.headers["x-route-class"] = type(self).__name__
            return response

        return handler


class GzipRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            body = await super().body()
            if "gzip" in self.headers.getlist("Content-Encoding"):
                body = gzip.decompress(body)
            self._body = body
        return self._body


class GzipRoute(APIRoute):
    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await original(GzipRequest(request.scope, request.receive))

        return handler


class ErrorBodyRoute(APIRoute):
    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as exc:
                body = await request.body()
                raise HTTPException(status_code=422, detail={"errors": exc.errors(), "body": body.decode()})

        return handler


class TaggedRoute(APIRoute):  # does not override get_route_handler: an ordinary route
    x_type = "tagged"


timed = APIRouter(route_class=TimedRoute)


@timed.get("/items/{item_id}", response_model=Item, response_model_include={"name"})
async def timed_item(item_id: int):
    return dict(ITEM, name=f"item {item_id}")


@timed.get("/text", response_class=PlainTextResponse)
def timed_text(request: Request):
    return f"{type(request).__name__} {request.url.path}"


@timed.get("/fail")
def timed_fail():
    raise HTTPException(status_code=418, detail="teapot")


app.include_router(timed, prefix="/timed")

gzipped = APIRouter(route_class=GzipRoute)


@gzipped.post("/sum")
async def sum_numbers(numbers: Annotated[list[int], Body()], request: Request):
    return {"sum": sum(numbers), "request": type(request).__name__}


app.include_router(gzipped)

logged = APIRouter(route_class=ErrorBodyRoute)


@logged.post("/logged")
async def logged_sum(numbers: Annotated[list[int], Body()]):
    return sum(numbers)


app.include_router(logged)

tagged = APIRouter(route_class=TaggedRoute)


@tagged.get("/tagged")
def tagged_route():
    return {"tagged": True}


app.include_router(tagged)


# Starlette's request routes and a partial endpoint.
@app.router.route("/starlette/{name}")
async def starlette_route(request: Request):
    return JSONResponse({"name": request.path_params["name"], "query": dict(request.query_params)})


def greet(greeting: str, name: str = "world"):
    return {"text": f"{greeting}, {name}"}


app.get("/partial")(partial(greet, "hello"))

REQUESTS = [
    ("GET", "/include-set", {}),
    ("GET", "/include-list", {}),
    ("GET", "/exclude-nested", {}),
    ("GET", "/include-index", {}),
    ("GET", "/include-exclude", {}),
    ("GET", "/include-class", {}),
    ("GET", "/include-list-model", {}),
    ("GET", "/middle/leaf/plain", {}),
    ("GET", "/middle/leaf/json", {}),
    ("GET", "/middle/html-leaf/html", {}),
    ("GET", "/middle/again/plain", {}),
    ("GET", "/middle/own", {}),
    ("GET", "/timed/items/3", {}),
    ("GET", "/timed/items/x", {}),
    ("GET", "/timed/text", {}),
    ("GET", "/timed/fail", {}),
    ("POST", "/sum", {"json": [1, 2, 3]}),
    ("POST", "/sum", {"content": gzip.compress(b"[4, 5]"),
                      "headers": {"content-encoding": "gzip", "content-type": "application/json"}}),
    ("POST", "/sum", {"json": ["x"]}),
    ("POST", "/logged", {"json": [1, 2]}),
    ("POST", "/logged", {"content": b'["a"]', "headers": {"content-type": "application/json"}}),
    ("GET", "/tagged", {}),
    ("GET", "/starlette/ann?x=1", {}),
    ("GET", "/partial?name=you", {}),
    ("GET", "/openapi.json", {}),
]
