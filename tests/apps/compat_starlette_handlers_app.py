"""Exception handlers registered for Starlette's HTTPException: they catch it and AstraAPI's (FastAPI's)
HTTPException alike, and the router's 404 and 405, and may answer with Starlette's responses; for the
example-app set."""

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from astraapi import FastAPI, HTTPException

app = FastAPI()


class TeapotError(StarletteHTTPException):
    pass


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException):
    return PlainTextResponse(f"handled {type(exc).__name__} {exc.status_code}: {exc.detail}",
                             status_code=exc.status_code, headers=exc.headers)


@app.exception_handler(TeapotError)
def teapot(request: Request, exc: TeapotError):
    return JSONResponse({"teapot": exc.detail, "starlette_request": isinstance(request, Request)}, status_code=418)


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    if item_id == 0:
        raise StarletteHTTPException(404, "Starlette's")
    if item_id == 1:
        raise HTTPException(403, "FastAPI's", headers={"x-why": "forbidden"})
    if item_id == 2:
        raise TeapotError(418, "short and stout")
    return {"item_id": item_id}


REQUESTS = [
    ("GET", "/items/5", {}),
    ("GET", "/items/0", {}),
    ("GET", "/items/1", {}),
    ("GET", "/items/2", {}),
    ("GET", "/nowhere", {}),
    ("DELETE", "/items/5", {}),
]
