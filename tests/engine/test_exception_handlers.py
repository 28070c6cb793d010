"""Custom exception handlers (by class, by status code, for 500/Exception), overriding the
RequestValidationError and HTTPException handlers, and reusing FastAPI's default handlers."""

from __future__ import annotations

import pytest

APP = """
from FRAMEWORK import Depends, FastAPI, HTTPException, Request
from FRAMEWORK.exception_handlers import http_exception_handler, request_validation_exception_handler
from FRAMEWORK.exceptions import RequestValidationError
from FRAMEWORK.responses import JSONResponse, PlainTextResponse

class UnicornException(Exception):
    def __init__(self, name: str):
        self.name = name

class SubUnicorn(UnicornException):
    pass

async def unicorn_handler(request: Request, exc: UnicornException):
    return JSONResponse(status_code=418, content={"message": f"Oops! {exc.name} did something."})

def teapot_handler(request: Request, exc: HTTPException):
    return PlainTextResponse(f"teapot: {exc.detail}", status_code=exc.status_code, headers={"x-teapot": "1"})

app = FastAPI(exception_handlers={409: teapot_handler})
app.add_exception_handler(UnicornException, unicorn_handler)

@app.exception_handler(RequestValidationError)
async def validation_handler(request: Request, exc: RequestValidationError):
    if request.url.path == "/default-422":
        return await request_validation_exception_handler(request, exc)
    return PlainTextResponse(f"{len(exc.errors())} errors at {request.url.path}", status_code=400)

@app.exception_handler(HTTPException)
async def http_handler(request: Request, exc: HTTPException):
    if exc.status_code == 404:
        return await http_exception_handler(request, exc)
    return JSONResponse({"custom": exc.detail}, status_code=exc.status_code, headers=exc.headers)

@app.exception_handler(500)
async def server_error(request: Request, exc: Exception):
    return JSONResponse({"server": type(exc).__name__}, status_code=500)

@app.get("/unicorn/{name}")
async def unicorn(name: str):
    raise UnicornException(name)

@app.get("/sub-unicorn")
def sub_unicorn():
    raise SubUnicorn("sub")

@app.get("/conflict")
def conflict():
    raise HTTPException(status_code=409, detail="busy")

@app.get("/http/{code}")
async def http(code: int):
    raise HTTPException(status_code=code, detail={"code": code}, headers={"x-code": str(code)})

@app.get("/validate")
async def validate(n: int):
    return n

@app.get("/default-422")
async def default_422(n: int):
    return n

@app.post("/json")
async def json_body(item: dict):
    return item

@app.get("/crash")
def crash():
    raise KeyError("k")

def failing_dependency():
    raise ValueError("dep")

@app.get("/dep-crash")
async def dep_crash(x: int = Depends(failing_dependency)):
    return x
"""


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


@pytest.mark.parametrize("url", ["/unicorn/yolo", "/sub-unicorn", "/conflict", "/http/404", "/http/401", "/http/304",
                                 "/validate?n=x", "/validate?n=1", "/default-422", "/crash", "/dep-crash"])
def test_custom_handlers(pair, url):
    pair.check("GET", url)


def test_json_decode_error_goes_to_the_validation_handler(pair):
    pair.check("POST", "/json", headers={"content-type": "application/json"}, content=b"{bad")
    pair.check("POST", "/json", headers={"content-type": "application/json"}, content=b'{"a": 1}')


DEFAULTS_ONLY = """
from FRAMEWORK import FastAPI, HTTPException
app = FastAPI()

@app.exception_handler(ValueError)
def value_error(request, exc):
    from FRAMEWORK.responses import PlainTextResponse
    return PlainTextResponse("value error", status_code=400)

@app.get("/plain")
def plain():
    return {"plain": True}

@app.get("/value")
async def value():
    raise ValueError("v")

@app.get("/http")
async def http():
    raise HTTPException(status_code=400, detail="d")
"""


@pytest.mark.parametrize("url", ["/plain", "/value", "/http"])
def test_handler_for_a_builtin_exception(make_pair, url):
    make_pair(DEFAULTS_ONLY).check("GET", url)
