"""slowapi, unmodified, with `memory://` storage: the `@limiter.limit` decorator (with its rate-limit
headers), `@limiter.exempt`, the default limits through SlowAPIMiddleware (`app`, a BaseHTTPMiddleware)
and through SlowAPIASGIMiddleware (`asgi_app`, pure ASGI), and its 429 handler.
tests/ecosystem/test_ecosystem_packages.py."""

from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware, SlowAPIMiddleware
from slowapi.util import get_remote_address

from astraapi import FastAPI, Request, Response


def make_app(middleware: type) -> FastAPI:
    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=["3/minute"],
                      headers_enabled=True)
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
    app.add_middleware(middleware)

    @app.get("/limited")
    @limiter.limit("2/minute")
    async def limited(request: Request, response: Response):
        return {"ok": True}

    @app.get("/limited-sync")
    @limiter.limit("1/minute")
    def limited_sync(request: Request, response: Response):
        return {"ok": True}

    @app.get("/default/{n}")
    async def default_limit(n: int):
        return {"n": n}

    @app.get("/exempt")
    @limiter.exempt
    async def exempt(request: Request):
        return {"exempt": True}

    return app


app = make_app(SlowAPIMiddleware)
asgi_app = make_app(SlowAPIASGIMiddleware)
