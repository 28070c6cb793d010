"""Depends: functions, async functions, classes, callables, sub-dependencies, caching,
yield (sync and async) with exceptions, scopes, route/router/app dependencies, overrides,
Security scopes, max_concurrency — each answer compared with FastAPI's."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated, Optional
from FRAMEWORK import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Security, Body
from FRAMEWORK.security import SecurityScopes

EVENTS = []

def common(q: Optional[str] = None, skip: int = 0, limit: int = 100):
    return {"q": q, "skip": skip, "limit": limit}

async def async_common(q: str = "x", n: Annotated[int, Query(ge=0)] = 1):
    return {"q": q, "n": n}

class Pager:
    def __init__(self, page: int = 1, size: int = Query(10, le=50)):
        self.page = page
        self.size = size

class Checker:
    def __init__(self, word: str):
        self.word = word
    def __call__(self, text: str = ""):
        return self.word in text

class AsyncChecker:
    async def __call__(self, token: Annotated[str, Header()]):
        return token.upper()

contains_foo = Checker("foo")

def counter():
    EVENTS.append("counter called")
    return len(EVENTS)

def uses_counter(a: int = Depends(counter), b: int = Depends(counter)):
    return [a, b]

def uncached(a: int = Depends(counter), b: int = Depends(counter, use_cache=False)):
    return [a, b]

def query_extractor(q: Optional[str] = None):
    return q

def query_or_cookie(q: str = Depends(query_extractor), last: Optional[str] = None):
    return q or last

def verify_token(x_token: Annotated[str, Header()]):
    if x_token != "secret":
        raise HTTPException(status_code=400, detail="X-Token header invalid")

def verify_key(x_key: str = Header()):
    EVENTS.append("verify_key")
    return x_key

app = FastAPI(dependencies=[Depends(verify_key)])

@app.get("/items")
async def items(commons: dict = Depends(common)):
    return commons

@app.get("/async-items")
def async_items(commons: Annotated[dict, Depends(async_common)]):
    return commons

@app.get("/pager")
async def pager(p: Annotated[Pager, Depends()]):
    return {"page": p.page, "size": p.size}

@app.get("/pager2")
async def pager2(p: Pager = Depends(Pager)):
    return {"page": p.page, "size": p.size}

@app.get("/callable")
def callable_dep(found: bool = Depends(contains_foo), upper: str = Depends(AsyncChecker())):
    return {"found": found, "upper": upper}

@app.get("/sub")
async def sub(value: str = Depends(query_or_cookie)):
    return {"value": value}

@app.get("/cached")
async def cached(values: list = Depends(uses_counter), again: int = Depends(counter)):
    return {"values": values, "again": again}

@app.get("/uncached")
async def uncached_route(values: list = Depends(uncached)):
    return {"values": values}

@app.get("/route-deps", dependencies=[Depends(verify_token)])
async def route_deps():
    return {"ok": True}

@app.get("/errors")
async def errors(a: dict = Depends(common), b: dict = Depends(common), n: int = Query()):
    return {"n": n}

def body_dep(item: dict = Body()):
    return item

@app.post("/body-dep")
async def body_in_dep(item: dict = Depends(body_dep)):
    return item

@app.post("/body-dep-and-own")
async def body_dep_and_own(item: dict = Depends(body_dep), other: int = Body()):
    return {"item": item, "other": other}

def router_dep():
    EVENTS.append("router_dep")

def include_dep():
    EVENTS.append("include_dep")

router = APIRouter(prefix="/r", dependencies=[Depends(router_dep)])

@router.get("/x", dependencies=[Depends(verify_token)])
async def router_route(request: Request):
    EVENTS.append("endpoint")
    return {"path": request.url.path}

app.include_router(router, dependencies=[Depends(include_dep)])

def scoped(security_scopes: SecurityScopes, x_key: str = Header()):
    EVENTS.append(("scoped", security_scopes.scopes, security_scopes.scope_str))
    return security_scopes.scopes

def middle(s: list = Security(scoped, scopes=["items"])):
    return s

@app.get("/scopes")
async def scopes(a: list = Security(middle, scopes=["me"]), b: list = Security(scoped, scopes=["admin", "me"]),
                 c: list = Depends(scoped)):
    return {"a": a, "b": b, "c": c}

def original():
    return "original"

def replacement(q: str = "default"):
    return "replaced:" + q

@app.get("/override")
async def override(v: str = Depends(original)):
    return {"v": v}

async def yield_original():
    EVENTS.append("original enter")
    yield "original"
    EVENTS.append("original exit")

async def yield_replacement(x_key: str = Header()):
    EVENTS.append("replacement enter")
    yield "replacement " + x_key
    EVENTS.append("replacement exit")

@app.get("/override-yield")
async def override_yield(v: str = Depends(yield_original)):
    return {"v": v}

def get_item(item_id: int, verbose: bool = False):
    if item_id == 0:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"item_id": item_id, "verbose": verbose}

@app.get("/things/{item_id}")
async def thing_from_dependency(item: dict = Depends(get_item)):
    return item

from dataclasses import dataclass
from pydantic import BaseModel, Field

class ModelParams(BaseModel):
    name: str = "n"
    size: int = Field(5, ge=1)

@dataclass
class DataParams:
    flag: bool = False
    level: int = 1

import functools

def decorated(func):
    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        return {"wrapped": await func(*args, **kwargs)}
    return wrapper

@decorated
async def wrapped_dep(w: int = 1):
    return w

@app.get("/model-dep")
async def model_dep(m: Annotated[ModelParams, Depends()], d: DataParams = Depends(),
                    w: dict = Depends(wrapped_dep), p: int = Depends(functools.partial(get_item, verbose=True))):
    return {"m": m, "d": d, "w": w, "p": p}

def limited_sync():
    return "sync"

async def limited_async():
    return "async"

@app.get("/limited")
async def limited(a: str = Depends(limited_sync, max_concurrency=1), b: str = Depends(limited_async, max_concurrency=2)):
    return {"a": a, "b": b}
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


KEY = {"x-key": "k"}


@pytest.mark.parametrize("url", ["/items", "/items?q=a&skip=1&limit=5", "/items?skip=x", "/async-items",
                                 "/async-items?n=-1&q=z", "/pager", "/pager?page=3&size=51", "/pager2?size=2",
                                 "/sub", "/sub?q=1", "/sub?last=2", "/errors", "/errors?skip=a&limit=b&n=c",
                                 "/errors?n=1"])
def test_parameters_through_dependencies(pair, url):
    pair.check("GET", url, headers=KEY)
    pair.check_events()


@pytest.mark.parametrize("url", ["/things/3", "/things/0", "/things/x?verbose=1", "/things/5?verbose=yes"])
def test_path_parameter_read_by_a_dependency(pair, url):
    pair.check("GET", url, headers=KEY)


@pytest.mark.parametrize("url", ["/model-dep?item_id=1", "/model-dep?item_id=2&name=x&size=0&flag=yes&level=q&w=3",
                                 "/model-dep"])
def test_models_dataclasses_partials_and_wrappers_as_dependencies(pair, url):
    pair.check("GET", url, headers=KEY)


def test_callable_instances(pair):
    pair.check("GET", "/callable?text=afoob", headers={**KEY, "token": "abc"})
    pair.check("GET", "/callable", headers=KEY)


def test_app_dependency_missing_header(pair):
    pair.check("GET", "/items")
    pair.check_events()


def test_cache_and_use_cache_false(pair):
    pair.check("GET", "/cached", headers=KEY)
    assert pair.check_events().count("counter called") == 1
    pair.check("GET", "/uncached", headers=KEY)
    assert pair.check_events().count("counter called") == 2


@pytest.mark.parametrize("token", [None, "bad", "secret"])
def test_route_router_include_dependencies(pair, token):
    headers = dict(KEY)
    if token:
        headers["x-token"] = token
    pair.check("GET", "/route-deps", headers=headers)
    pair.check("GET", "/r/x", headers=headers)
    pair.check_events()


@pytest.mark.parametrize("content", [b'{"a": 1}', b"[1]", b"", b"{", b'{"item": {"b": 2}, "other": 3}'])
def test_body_in_dependencies(pair, content):
    headers = {**KEY, "content-type": "application/json"}
    pair.check("POST", "/body-dep", headers=headers, content=content)
    pair.check("POST", "/body-dep-and-own", headers=headers, content=content)


def test_security_scopes(pair):
    pair.check("GET", "/scopes", headers=KEY)
    pair.check_events()


def test_dependency_overrides(pair):
    pair.check("GET", "/override", headers=KEY)
    pair.reference_module.app.dependency_overrides[pair.reference_module.original] = pair.reference_module.replacement
    pair.our_module.app.dependency_overrides[pair.our_module.original] = pair.our_module.replacement
    pair.check("GET", "/override?q=zz", headers=KEY)
    pair.check("GET", "/override", headers=KEY)
    pair.reference_module.app.dependency_overrides.clear()
    pair.our_module.app.dependency_overrides.clear()
    pair.check("GET", "/override", headers=KEY)


def _override(pair, name, replacement):
    for module in (pair.reference_module, pair.our_module):
        module.app.dependency_overrides[getattr(module, name)] = getattr(module, replacement)


def test_overriding_app_dependencies_and_yield(pair):
    _override(pair, "verify_key", "original")
    _override(pair, "yield_original", "yield_replacement")
    pair.check("GET", "/override-yield")  # the app dependency no longer needs x-key; the replacement does
    pair.check("GET", "/override-yield", headers=KEY)
    pair.check("GET", "/items")
    pair.check_events()


def test_max_concurrency(pair):
    pair.check("GET", "/limited", headers=KEY)


def test_ir_tree(pair):
    routes = {r.path: r for r in pair.ours.ir.routes}
    sub = routes["/sub"]
    assert [d.name for d in sub.dependencies] == [None, "value"]
    value = sub.dependencies[1]
    assert value.call.endswith(":query_or_cookie")
    assert [p.name for p in value.params] == ["last"]
    assert value.dependencies[0].call.endswith(":query_extractor")
    assert [p.name for p in value.dependencies[0].params] == ["q"]
    scopes = routes["/scopes"].dependencies
    assert scopes[1].is_security and scopes[1].scopes == ("me",)
    assert scopes[1].dependencies[0].effective_scopes == ("me", "items")
    assert scopes[1].cache_scopes == ("me",) and scopes[1].dependencies[0].cache_scopes == ("items", "me")
    assert routes["/items"].dependencies[1].cache_scopes == ()
    assert routes["/items"].dependencies[1].computed_scope is None
    assert routes["/limited"].dependencies[1].max_concurrency == 1
    assert routes["/r/x"].dependencies[1].call.endswith(":include_dep")


LIMIT_APP = """
import asyncio
from FRAMEWORK import Depends, FastAPI

STATE = {"running": 0, "peak": 0}

async def slow():
    STATE["running"] += 1
    STATE["peak"] = max(STATE["peak"], STATE["running"])
    await asyncio.sleep(0.05)
    STATE["running"] -= 1
    return "done"

async def slow_yield():
    STATE["running"] += 1
    STATE["peak"] = max(STATE["peak"], STATE["running"])
    yield "y"
    await asyncio.sleep(0.02)
    STATE["running"] -= 1

app = FastAPI()

@app.get("/one")
async def one(v: str = Depends(slow, max_concurrency=1)):
    return v

@app.get("/two")
async def two(v: str = Depends(slow, max_concurrency=2)):
    return v

@app.get("/yield-one")
async def yield_one(v: str = Depends(slow_yield, max_concurrency=1)):
    await asyncio.sleep(0.02)
    return v
"""


@pytest.mark.parametrize("url,peak", [("/one", 1), ("/two", 2), ("/yield-one", 1)])
def test_max_concurrency_limits_concurrent_calls(tmp_path, url, peak):
    import asyncio

    from harness import EngineClient, load_pair

    _, ours = load_pair(LIMIT_APP, tmp_path)
    client = EngineClient(ours.app)
    try:
        async def burst():
            return await asyncio.gather(*(client._request("GET", url, {}, b"") for _ in range(4)))
        results = client.loop.run_until_complete(burst())
    finally:
        client.close()
    assert all(r[0] == 200 for r in results)
    assert ours.STATE["peak"] == peak
