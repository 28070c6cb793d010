"""Exception handlers for the router's own 404 and 405, for the example-app set."""

from astraapi import FastAPI, HTTPException, Request
from astraapi.exceptions import StarletteHTTPException
from astraapi.responses import JSONResponse, PlainTextResponse

app = FastAPI()


@app.exception_handler(404)
async def not_found(request: Request, exc: Exception):
    return JSONResponse({"missing": request.url.path, "detail": getattr(exc, "detail", None)}, status_code=404)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException):
    return PlainTextResponse(f"http error {exc.status_code}: {exc.detail}", status_code=exc.status_code,
                             headers=exc.headers)


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    if item_id == 0:
        raise HTTPException(404, "no item 0")
    if item_id == 1:
        raise HTTPException(418, "teapot", headers={"x-why": "tea"})
    return {"item_id": item_id}


@app.post("/items/")
async def create_item():
    return {"ok": True}


REQUESTS = [
    ("GET", "/items/5", {}),
    ("GET", "/items/0", {}),
    ("GET", "/items/1", {}),
    ("GET", "/nowhere", {}),
    ("HEAD", "/nowhere", {}),
    ("DELETE", "/items/5", {}),
    ("GET", "/items/", {}),
    ("PUT", "/items/", {}),
    ("GET", "/items", {}),
]
