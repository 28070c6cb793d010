"""Request body limits (max_body_size) where the body is read: by the endpoint (request.body(), .stream(),
.json(), .form()), by a function middleware, in a mounted app, through routers and includes; and what the
limiter answers then (a JSON 413 through the handlers, or its plain-text 413). For the example-app set."""

from typing import Annotated

from astraapi import APIRouter, Body, FastAPI, Form, Request
from astraapi.exceptions import StarletteHTTPException
from astraapi.responses import PlainTextResponse

app = FastAPI(max_body_size=10, form_limits={"max_part_size": 2})


async def echo(request: Request):
    return PlainTextResponse(await request.body())


app.post("/echo")(echo)
app.post("/echo-small", max_body_size=5)(echo)
app.post("/echo-large", max_body_size=20)(echo)


@app.post("/bytes")
async def bytes_body(data: Annotated[bytes, Body(media_type="application/octet-stream")]):
    return PlainTextResponse(data)


@app.post("/stream")
async def stream(request: Request):
    data = b""
    async for chunk in request.stream():
        data += chunk
    return PlainTextResponse(data)


@app.post("/json")
async def as_json(request: Request):
    return await request.json()


@app.post("/form")
async def as_form(request: Request):
    form = await request.form()
    return dict(form)


@app.post("/catch", max_body_size=0)
async def catch(request: Request):
    try:
        await request.body()
    except StarletteHTTPException as error:
        return {"caught": error.status_code, "detail": error.detail}
    return {"caught": None}


@app.post("/unread")
async def unread():
    return {"read": False}


limited = APIRouter(max_body_size=5)
limited.post("/echo")(echo)
open_router = APIRouter()
open_router.post("/echo")(echo)
app.include_router(limited, prefix="/router")
app.include_router(limited, prefix="/router-include", max_body_size=20)  # the router's own limit wins
app.include_router(open_router, prefix="/include", max_body_size=3)

inherits = FastAPI()
inherits.post("/echo")(echo)


@inherits.post("/field")
async def field(text: Annotated[str, Form()]):  # the form limits in force at the mount apply
    return text


app.mount("/child", inherits)

own_limit = FastAPI(max_body_size=20)
own_limit.post("/echo")(echo)
app.mount("/child20", own_limit)

reads_in_middleware = FastAPI()
reads_in_middleware.post("/echo")(echo)
reads_in_middleware.post("/echo-small", max_body_size=3)(echo)


@reads_in_middleware.middleware("http")
async def read_body(request: Request, call_next):
    await request.body()
    return await call_next(request)


app.mount("/mw", reads_in_middleware)

OCTETS = {"content-type": "application/octet-stream"}


def _post(path, body, **headers):
    return ("POST", path, {"content": body, "headers": {**OCTETS, **headers}})


REQUESTS = [
    _post("/echo", b"0123456789"),
    _post("/echo", b"0123456789A"),
    _post("/echo", [b"012345", b"6789A"]),  # chunked: no content-length
    _post("/echo-small", b"12345"),
    _post("/echo-small", b"123456"),
    _post("/echo-large", b"x" * 20),
    _post("/echo-large", b"x" * 21),
    _post("/bytes", [b"0123456789", b"A"]),
    _post("/bytes", b"0123456789"),
    _post("/stream", [b"01234", b"56789", b"A"]),
    _post("/stream", b"0123"),
    ("POST", "/json", {"content": [b'{"a": ', b'"long"}'], "headers": {"content-type": "application/json"}}),
    ("POST", "/json", {"content": b'{"a":1}', "headers": {"content-type": "application/json"}}),
    ("POST", "/form", {"content": [b"a=12345", b"&b=6"], "headers": {"content-type": "application/x-www-form-urlencoded"}}),
    ("POST", "/form", {"data": {"a": "1"}}),
    ("POST", "/form", {"data": {"a": "123"}}),  # the app's max_part_size
    _post("/catch", [b"x"]),
    _post("/catch", b""),
    _post("/unread", [b"0123456789AB"]),  # never read: no limit reached
    _post("/unread", b"0123456789AB"),  # its declared length: the limiter replaces the answer
    _post("/router/echo", b"123456"),
    _post("/router-include/echo", b"123456"),
    _post("/include/echo", b"1234"),
    _post("/include/echo", b"123"),
    _post("/child/echo", [b"0123456789A"]),
    _post("/child/echo", b"0123456789"),
    ("POST", "/child/field", {"data": {"text": "ab"}}),
    ("POST", "/child/field", {"data": {"text": "abc"}}),
    _post("/child20/echo", [b"0123456789ABCDEF"]),
    _post("/child20/echo", [b"x" * 21]),
    _post("/mw/echo", [b"0123456789A"]),  # read by the middleware, over the limit inherited from the app
    _post("/mw/echo", b"0123456789"),
    _post("/mw/echo-small", [b"1234"]),  # read under the app's limit, over the route's when it is entered
    _post("/mw/echo-small", b"123"),
    _post("/nowhere", b"0123456789AB"),  # a 404 with a declared length over the app's limit
    ("GET", "/openapi.json", {}),
]
