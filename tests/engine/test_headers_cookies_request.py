"""Header and cookie parameters, the Request object, routers with prefixes."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated, Optional
from FRAMEWORK import APIRouter, Cookie, FastAPI, Header, Request

app = FastAPI()

@app.get("/headers")
async def headers(x_token: Annotated[str, Header()], accept_language: Optional[str] = Header(None),
                  raw_name: Optional[str] = Header(None, convert_underscores=False),
                  x_many: list[str] = Header([])):
    return {"x_token": x_token, "accept_language": accept_language, "raw_name": raw_name, "x_many": x_many}

@app.get("/cookies")
def cookies(session: Optional[str] = Cookie(None), count: int = Cookie(0)):
    return {"session": session, "count": count}

@app.get("/request/{name}")
async def with_request(request: Request, name: str):
    return {
        "method": request.method,
        "path": request.url.path,
        "name": name,
        "path_params": request.path_params,
        "query": dict(request.query_params),
        "x": request.headers.get("x-thing"),
        "host": request.client.host is not None,
    }

@app.post("/request-body")
async def request_body(request: Request):
    data = await request.json()
    raw = await request.body()
    return {"data": data, "size": len(raw)}

router = APIRouter(prefix="/things", tags=["things"])

@router.get("/{thing_id}")
async def thing(thing_id: int):
    return {"thing_id": thing_id}

@router.post("/", status_code=201)
async def make_thing():
    return {"made": True}

app.include_router(router, prefix="/v1")
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Token": "abc"},
        {},
        {"x-token": "t", "Accept-Language": "fr", "raw_name": "r", "x-many": "1"},
        {"x-token": "t", "raw-name": "dashes do not count"},
    ],
)
def test_headers(pair, headers):
    pair.check("GET", "/headers", headers=headers)


@pytest.mark.parametrize(
    "cookie", [None, "session=abc", "session=abc; count=3", "count=many", 'session="quoted"; other=1']
)
def test_cookies(pair, cookie):
    pair.check("GET", "/cookies", headers={"cookie": cookie} if cookie else {})


def test_request_object(pair):
    pair.check("GET", "/request/n%C3%A4me?a=1&b=2&a=3", headers={"x-thing": "yes"})
    pair.check("POST", "/request-body", headers={"content-type": "application/json"}, content=b'{"k": [1, 2]}')


@pytest.mark.parametrize("method,url", [("GET", "/v1/things/5"), ("GET", "/v1/things/x"), ("POST", "/v1/things/")])
def test_router_prefixes(pair, method, url):
    pair.check(method, url)


def test_router_ir(pair):
    routes = {r.path: r for r in pair.ours.ir.routes}
    assert routes["/v1/things/{thing_id}"].tags == ("things",)
    assert routes["/v1/things/"].status_code == 201
