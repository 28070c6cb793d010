"""Lifespan state, the Request object, security scopes, sub-dependencies with caching and GZip, for the
example-app set (tests/compat/test_example_apps.py)."""

from contextlib import asynccontextmanager
from typing import Annotated

from astraapi import APIRouter, Depends, FastAPI, HTTPException, Request, Security
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.security import APIKeyHeader, OAuth2PasswordBearer, SecurityScopes

CALLS: list[str] = []


@asynccontextmanager
async def lifespan(app):
    yield {"greeting": "hello", "counter": [0]}


app = FastAPI(lifespan=lifespan)
app.add_middleware(GZipMiddleware, minimum_size=200)
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read", "admin": "Admin"})
api_key = APIKeyHeader(name="x-key", auto_error=False)


def user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    granted = token.split(",")
    missing = [s for s in scopes.scopes if s not in granted]
    if missing:
        raise HTTPException(403, f"missing {' '.join(missing)}",
                            headers={"WWW-Authenticate": f'Bearer scope="{scopes.scope_str}"'})
    return {"scopes": scopes.scopes}


def counted():
    CALLS.append("counted")
    return len(CALLS)


def first(n: Annotated[int, Depends(counted)]):
    return n


def second(n: Annotated[int, Depends(counted)], again: Annotated[int, Depends(counted, use_cache=False)]):
    return [n, again]


admin = APIRouter(prefix="/admin", dependencies=[Security(user, scopes=["admin"])])


@admin.get("/stats")
def stats(request: Request):
    return {"state": request.state.greeting}


app.include_router(admin)


@app.get("/me")
def me(current: Annotated[dict, Security(user, scopes=["read"])], key: Annotated[str | None, Depends(api_key)]):
    return {"user": current, "key": key}


@app.get("/request/{name}")
async def request_info(name: str, request: Request):
    body = await request.body()
    return {"method": request.method, "path": request.url.path, "query": str(request.query_params),
            "q": request.query_params.getlist("q"), "path_params": request.path_params,
            "host": request.headers["host"], "url": str(request.url), "base": str(request.base_url),
            "body": body.decode(), "cookies": request.cookies, "greeting": request.state.greeting,
            "url_for": str(request.url_for("request_info", name="a b")), "stats": app.url_path_for("stats"),
            "pieces": [piece async for piece in request.stream()].__len__()}


@app.get("/cached")
def cached(a: Annotated[int, Depends(first)], b: Annotated[list, Depends(second)]):
    return {"a": a, "b": b}


@app.get("/big")
def big():
    return {"rows": [{"id": i, "name": f"row {i}"} for i in range(40)]}


REQUESTS = [
    ("GET", "/me", {}),
    ("GET", "/me", {"headers": {"authorization": "Bearer read", "x-key": "k"}}),
    ("GET", "/me", {"headers": {"authorization": "Bearer write"}}),
    ("GET", "/admin/stats", {"headers": {"authorization": "Bearer admin,read"}}),
    ("GET", "/admin/stats", {"headers": {"authorization": "Bearer read"}}),
    ("GET", "/admin/stats", {"headers": {"authorization": "Basic abc"}}),
    ("GET", "/request/x%20y?q=1&q=2&r=%C3%A9", {"cookies": {"a": "b"}}),
    ("GET", "/cached", {}),
    ("GET", "/big", {}),
    ("GET", "/big", {"headers": {"accept-encoding": "identity"}}),
    ("GET", "/openapi.json", {"headers": {"accept-encoding": "identity"}}),
]
