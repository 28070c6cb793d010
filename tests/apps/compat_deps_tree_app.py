"""Dependency trees against FastAPI (issue 14): teardown order of sync and async `yield` dependencies
(request and function scope), exceptions in the endpoint, in a dependency and in exit code, HTTPException
from a dependency, the per-request cache and use_cache=False, dependency_overrides, app/router/route
`dependencies=[...]`, Request/Response/BackgroundTasks/SecurityScopes in dependencies, dependency
parameters (query, header, cookie) and the security schemes' answers. Every route below `/t` runs under
the router's `closer` dependency, whose exit is the last step of a request: `/trail` waits for it."""

import asyncio
from typing import Annotated

from astraapi import APIRouter, BackgroundTasks, Cookie, Depends, FastAPI, Header, HTTPException, Query, Request, \
    Response, Security
from astraapi.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
    SecurityScopes,
)

TRAIL: list[str] = []
CALLS: dict[str, int] = {}


async def app_level(request: Request):
    request.state.app_level = True


app = FastAPI(dependencies=[Depends(app_level)])


async def closer():
    TRAIL.append("open")
    try:
        yield
    finally:
        TRAIL.append("close")


router = APIRouter(prefix="/t", dependencies=[Depends(closer)])


async def async_res():
    TRAIL.append("async up")
    try:
        yield "a"
    except HTTPException as error:
        TRAIL.append(f"async saw {error.status_code}")
        raise
    except ValueError:
        TRAIL.append("async saw ValueError")
        raise
    finally:
        TRAIL.append("async down")


def sync_res(a: Annotated[str, Depends(async_res)]):
    TRAIL.append("sync up")
    try:
        yield a + "s"
    except Exception as error:
        TRAIL.append(f"sync saw {type(error).__name__}")
        raise
    finally:
        TRAIL.append("sync down")


async def per_call():
    TRAIL.append("fn up")
    try:
        yield "f"
    finally:
        TRAIL.append("fn down")


async def awaiting_res():
    await asyncio.sleep(0)
    TRAIL.append("awaiting up")
    yield "w"
    await asyncio.sleep(0)
    TRAIL.append("awaiting down")


def route_level():
    TRAIL.append("route level")


@router.get("/order", dependencies=[Depends(route_level)])
async def order(s: Annotated[str, Depends(sync_res)], f: Annotated[str, Depends(per_call, scope="function")],
                w: Annotated[str, Depends(awaiting_res)], tasks: BackgroundTasks, request: Request):
    TRAIL.append("endpoint")
    tasks.add_task(TRAIL.append, "background")
    return {"s": s, "f": f, "w": w, "app_level": request.state.app_level}


@router.get("/inline")
async def inline(a: Annotated[str, Depends(async_res)], f: Annotated[str, Depends(per_call, scope="function")]):
    TRAIL.append("endpoint")
    return {"a": a, "f": f}


@router.get("/fail")
async def fail(a: Annotated[str, Depends(async_res)], kind: str = "http"):
    TRAIL.append("endpoint")
    if kind == "http":
        raise HTTPException(418, "teapot", headers={"x-why": "tea"})
    raise ValueError("boom")


@router.get("/fail-sync")
def fail_sync(s: Annotated[str, Depends(sync_res)], kind: str = "http"):
    TRAIL.append("endpoint")
    if kind == "http":
        raise HTTPException(409, [{"conflict": 1}])
    raise ValueError("boom")


def guard(role: str = "user", x_role: Annotated[str | None, Header()] = None):
    if role == "banned" or x_role == "banned":
        raise HTTPException(403, "banned", headers={"x-guard": "1"})
    return role


@router.get("/guarded")
async def guarded(a: Annotated[str, Depends(async_res)], role: Annotated[str, Depends(guard)]):
    return {"role": role, "a": a}


async def failing_exit():
    TRAIL.append("failing up")
    yield "x"
    TRAIL.append("failing exit")
    raise HTTPException(409, "from exit")


@router.get("/fn-exit")
async def fn_exit(x: Annotated[str, Depends(failing_exit, scope="function")]):
    TRAIL.append("endpoint")
    return {"x": x}


async def swallowing():
    TRAIL.append("swallow up")
    try:
        yield "y"
    except Exception:
        TRAIL.append("swallowed")


@router.get("/swallow")
async def swallow(y: Annotated[str, Depends(swallowing)]):
    raise ValueError("lost")


def counted(name: str):
    def dependency():
        CALLS[name] = CALLS.get(name, 0) + 1
        return CALLS[name]
    dependency.__name__ = f"count_{name}"
    return dependency


count_a = counted("a")
count_b = counted("b")


async def uses_a(n: Annotated[int, Depends(count_a)]):
    return n


async def uses_a_fresh(n: Annotated[int, Depends(count_a, use_cache=False)]):
    return n


@router.get("/cache")
async def cache(first: Annotated[int, Depends(uses_a)], second: Annotated[int, Depends(uses_a)],
                fresh: Annotated[int, Depends(uses_a_fresh)], b: Annotated[int, Depends(count_b)],
                b_again: Annotated[int, Depends(count_b, use_cache=False)]):
    return {"first": first, "second": second, "fresh": fresh, "b": b, "b_again": b_again, "calls": dict(CALLS)}


async def original(q: str = "orig"):
    return f"original {q}"


async def replacement(r: Annotated[str, Query()] = "none", x_token: Annotated[str | None, Header()] = None):
    TRAIL.append("replacement")
    return f"replaced {r} {x_token}"


def original_yield():
    yield "original"


async def replacement_yield():
    TRAIL.append("replacement up")
    yield "replaced"
    TRAIL.append("replacement down")


@router.get("/override")
async def override(value: Annotated[str, Depends(original)], other: Annotated[str, Depends(original_yield)]):
    return {"value": value, "other": other}


app.dependency_overrides[original] = replacement
app.dependency_overrides[original_yield] = replacement_yield


class Paging:
    def __init__(self, offset: int = 0, limit: Annotated[int, Query(ge=1, le=50)] = 10,
                 session: Annotated[str | None, Cookie()] = None):
        self.offset = offset
        self.limit = limit
        self.session = session


class Multiplier:
    def __init__(self, factor: int):
        self.factor = factor

    async def __call__(self, n: int = 1):
        return n * self.factor


triple = Multiplier(3)


async def with_response(response: Response, tasks: BackgroundTasks, request: Request):
    response.headers["x-dep"] = request.url.path
    response.set_cookie("dep", "1")
    tasks.add_task(TRAIL.append, "dep background")
    return "ok"


@router.get("/params")
async def params(page: Annotated[Paging, Depends()], tripled: Annotated[int, Depends(triple)],
                 dep: Annotated[str, Depends(with_response)]):
    return {"offset": page.offset, "limit": page.limit, "session": page.session, "tripled": tripled, "dep": dep}


oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read", "write": "Write"})
oauth2_optional = OAuth2PasswordBearer(tokenUrl="token", auto_error=False, scheme_name="optional")
bearer = HTTPBearer()
basic = HTTPBasic(realm="shop")
key_header = APIKeyHeader(name="X-Key")
key_query = APIKeyQuery(name="key", auto_error=False)
key_cookie = APIKeyCookie(name="key")


async def scoped_user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    if token != "good":
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": f'Bearer scope="{scopes.scope_str}"'})
    return {"token": token, "scopes": scopes.scopes}


@router.get("/me")
async def me(user: Annotated[dict, Security(scoped_user, scopes=["read"])],
             again: Annotated[dict, Security(scoped_user, scopes=["read"])]):
    return {"user": user, "same": user is again}


@router.get("/maybe")
async def maybe(token: Annotated[str | None, Depends(oauth2_optional)], key: Annotated[str | None, Depends(key_query)]):
    return {"token": token, "key": key}


@router.get("/bearer")
async def read_bearer(credentials: Annotated[object, Depends(bearer)]):
    return {"scheme": credentials.scheme, "credentials": credentials.credentials}


@router.get("/basic")
def read_basic(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]):
    return {"username": credentials.username, "password": credentials.password}


@router.get("/keys")
async def read_keys(h: Annotated[str, Depends(key_header)], c: Annotated[str, Depends(key_cookie)]):
    return {"header": h, "cookie": c}


app.include_router(router)


@app.get("/trail")
async def trail():
    # A real server sends the answer before background tasks and request-scoped exits run (FastAPI's
    # in-process TestClient returns after them): wait for the previous request's last step.
    for _ in range(500):
        if not TRAIL or TRAIL[-1] == "close":
            break
        await asyncio.sleep(0.01)
    snapshot = list(TRAIL)
    TRAIL.clear()
    return snapshot


def _bearer(token: str) -> dict:
    return {"headers": {"authorization": f"Bearer {token}"}}


REQUESTS = [
    ("GET", "/t/order", {}), ("GET", "/trail", {}),
    ("GET", "/t/inline", {}), ("GET", "/trail", {}),
    ("GET", "/t/fail", {}), ("GET", "/trail", {}),
    ("GET", "/t/fail?kind=value", {}), ("GET", "/trail", {}),
    ("GET", "/t/fail-sync", {}), ("GET", "/trail", {}),
    ("GET", "/t/fail-sync?kind=value", {}), ("GET", "/trail", {}),
    ("GET", "/t/guarded", {}), ("GET", "/trail", {}),
    ("GET", "/t/guarded?role=banned", {}), ("GET", "/trail", {}),
    ("GET", "/t/guarded", {"headers": {"x-role": "banned"}}), ("GET", "/trail", {}),
    ("GET", "/t/fn-exit", {}), ("GET", "/trail", {}),
    ("GET", "/t/swallow", {}), ("GET", "/trail", {}),
    ("GET", "/t/cache", {}), ("GET", "/t/cache", {}), ("GET", "/trail", {}),
    ("GET", "/t/override?r=1", {"headers": {"x-token": "tok"}}), ("GET", "/trail", {}),
    ("GET", "/t/params?offset=2&limit=5&n=4", {"cookies": {"session": "s1"}}), ("GET", "/trail", {}),
    ("GET", "/t/params?limit=0&n=x", {}), ("GET", "/trail", {}),
    ("GET", "/t/me", {}), ("GET", "/t/me", _bearer("good")), ("GET", "/t/me", _bearer("bad")),
    ("GET", "/t/me", {"headers": {"authorization": "Basic abc"}}), ("GET", "/t/me", {"headers": {"authorization": "Bearer"}}),
    ("GET", "/t/maybe", {}), ("GET", "/t/maybe?key=k1", _bearer("tok")),
    ("GET", "/t/bearer", {}), ("GET", "/t/bearer", _bearer("abc")), ("GET", "/t/bearer", {"headers": {"authorization": "Digest abc"}}),
    ("GET", "/t/basic", {}), ("GET", "/t/basic", {"headers": {"authorization": "Basic dXNlcjpwYXNz"}}),
    ("GET", "/t/basic", {"headers": {"authorization": "Basic !!!"}}), ("GET", "/t/basic", {"headers": {"authorization": "Basic dXNlcg=="}}),
    ("GET", "/t/keys", {}), ("GET", "/t/keys", {"headers": {"x-key": "hk"}}),
    ("GET", "/t/keys", {"headers": {"x-key": "hk"}, "cookies": {"key": "ck"}}),
    ("GET", "/trail", {}),
    ("GET", "/openapi.json", {}),
]
