"""Real ecosystem packages whose answers are deterministic, for the example-app differential set
(tests/compat/test_example_apps.py: byte-identical with FastAPI): asgi-correlation-id with a given
request id, slowapi's decorator and its 429 handler (without its time-based headers), a WSGI app mounted
through a2wsgi, and sse-starlette's EventSourceResponse (a response that sends its own ASGI messages)."""

from a2wsgi import WSGIMiddleware
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from sse_starlette.sse import EventSourceResponse

from astraapi import FastAPI, Request

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
app = FastAPI()
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
app.add_middleware(CorrelationIdMiddleware)


def wsgi_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("202 Accepted", [("Content-Type", "text/plain"), ("X-Wsgi", "1")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|{environ['QUERY_STRING']}|".encode(), body]


app.mount("/wsgi", WSGIMiddleware(wsgi_app))


@app.get("/cid")
async def cid():
    return {"cid": correlation_id.get()}


@app.get("/limited")
@limiter.limit("1/minute")
async def limited(request: Request):
    return {"ok": True}


@app.get("/events")
async def events():
    async def generate():
        for n in range(2):
            yield {"event": "tick", "data": f"n{n}"}

    return EventSourceResponse(generate())


CID = {"x-request-id": "0123456789abcdef0123456789abcdef"}
REQUESTS = [
    ("GET", "/cid", {"headers": CID}),
    ("GET", "/nothing", {"headers": CID}),
    ("GET", "/limited", {"headers": CID}),
    ("GET", "/limited?again=1", {"headers": CID}),
    ("POST", "/wsgi/a/b?q=1", {"headers": CID, "content": b"body"}),
    ("GET", "/wsgi", {"headers": CID}),
    ("GET", "/events", {"headers": CID}),
]
