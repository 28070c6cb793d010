"""Routes the server calls directly (astraapi/engine/direct.py: async endpoints without a suspension
point and no dependencies), with every way such an endpoint can end: plain data, data the native
writer does not take, a Response (with background work), HTTPException, an error, NaN, a response model
that accepts or refuses the value, parameters decoded or refused, context variables. For the
example-app set (tests/compat/test_example_apps.py)."""

import contextvars
import datetime as dt
import uuid
from typing import Optional

from pydantic import BaseModel

from astraapi import BackgroundTasks, Cookie, FastAPI, Header, HTTPException, Query
from astraapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse

app = FastAPI()

SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="fresh")
LOG: list[str] = []


class Item(BaseModel):
    item_id: int
    q: Optional[str] = None
    price: float
    tags: list[str]


class ItemIn(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/")
async def root():
    return {"message": "Hello World"}


@app.get("/list")
async def a_list():
    return [1, 2.5, "three", None, True, {"nested": []}]


@app.get("/values")
async def values():
    return {"id": uuid.UUID(int=7), "at": dt.datetime(2026, 1, 2, 3, 4, 5), "tags": {"only"}, "_sa_skip": 1}


@app.get("/created", status_code=201)
async def created():
    return {"created": True}


@app.get("/nothing", status_code=204)
async def nothing():
    return None


@app.get("/text")
async def text():
    return PlainTextResponse("plain", headers={"x-kind": "text"})


@app.get("/later")
async def later():
    LOG.append("answered")
    tasks = BackgroundTasks()
    tasks.add_task(LOG.append, "background")
    return JSONResponse({"log": list(LOG)}, background=tasks)


@app.get("/stream")
async def stream():
    return StreamingResponse(iter([b"first,", b"second"]), media_type="text/csv")


@app.get("/html", response_class=HTMLResponse)
async def html():
    return "<p>hi</p>"


@app.get("/empty")
async def empty():
    return Response(status_code=204)


@app.get("/teapot")
async def teapot():
    raise HTTPException(status_code=418, detail={"why": "short and stout"}, headers={"x-tea": "earl grey"})


@app.get("/boom")
async def boom():
    raise ValueError("the endpoint failed")


@app.get("/nan")
async def nan():
    return {"x": float("nan")}


@app.get("/context")
async def context():
    before = SEEN.get()
    SEEN.set("set by an earlier request")
    return {"before": before}


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int, q: Optional[str] = None, price: float = 9.5):
    return {"item_id": item_id, "q": q, "price": price, "tags": ["a", "b"]}


@app.get("/bad-item/{item_id}", response_model=Item)
async def bad_item(item_id: int):
    return {"item_id": item_id, "price": "not a number", "tags": []}


@app.post("/items", response_model=ItemIn)
async def create_item(item: ItemIn):
    return item


@app.post("/items/raw")
async def create_raw(item: ItemIn):
    return {"name": item.name, "total": item.price * 2}


@app.get("/headers")
async def with_headers(x_token: str = Header(), user_agent: Optional[str] = Header(None),
                       session: Optional[str] = Cookie(None), tags: list[str] = Query(["a"])):
    tags.append("mutated")  # the default must be a fresh copy for every request
    return {"token": x_token, "agent": user_agent, "session": session, "tags": tags}


@app.get("/sync")
def sync_endpoint(n: int = 3):
    return {"n": n}


REQUESTS = [
    ("GET", "/", {}),
    ("GET", "/list", {}),
    ("GET", "/values", {}),
    ("GET", "/created", {}),
    ("GET", "/nothing", {}),
    ("GET", "/text", {}),
    ("GET", "/later", {}),
    ("GET", "/later", {}),
    ("GET", "/stream", {}),
    ("GET", "/html", {}),
    ("GET", "/empty", {}),
    ("GET", "/teapot", {}),
    ("GET", "/boom", {}),
    ("GET", "/nan", {}),
    ("GET", "/context", {}),
    ("GET", "/context", {}),
    ("GET", "/items/5", {}),
    ("GET", "/items/5", {"params": {"q": "x", "price": "2"}}),
    ("GET", "/items/5", {"params": {"price": "cheap"}}),
    ("GET", "/items/five", {}),
    ("GET", "/bad-item/3", {}),
    ("POST", "/items", {"json": {"name": "a", "price": 1.5, "tags": ["x"]}}),
    ("POST", "/items", {"json": {"name": "a"}}),
    ("POST", "/items", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("POST", "/items/raw", {"json": {"name": "b", "price": 2}}),
    ("GET", "/sync", {"params": {"n": "4"}}),
    ("GET", "/headers", {"headers": {"x-token": "t1"}}),
    ("GET", "/headers", {"headers": {"x-token": "t2"}, "cookies": {"session": "s"}}),
    ("GET", "/headers", {"headers": {"x-token": "t3"}, "params": [("tags", "x"), ("tags", "y")]}),
    ("GET", "/headers", {}),
    ("HEAD", "/", {}),
]
