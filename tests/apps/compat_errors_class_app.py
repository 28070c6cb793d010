"""A handler for StarletteHTTPException catches the router's 404 and 405 too, for the example-app set."""

from astraapi import FastAPI, HTTPException, Request
from astraapi.exceptions import StarletteHTTPException
from astraapi.responses import JSONResponse

app = FastAPI()


@app.exception_handler(StarletteHTTPException)
def http_error(request: Request, exc: StarletteHTTPException):
    return JSONResponse({"error": exc.detail, "path": request.url.path, "method": request.method},
                        status_code=exc.status_code, headers=exc.headers)


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    if item_id == 0:
        raise HTTPException(404, "no item 0")
    return {"item_id": item_id}


@app.get("/crash")
def crash():
    raise RuntimeError("not shown: debug is off")


REQUESTS = [
    ("GET", "/crash", {}),
    ("GET", "/crash", {"headers": {"accept": "text/html"}}),
    ("GET", "/items/5", {}),
    ("GET", "/items/0", {}),
    ("GET", "/nowhere", {}),
    ("HEAD", "/nowhere", {}),
    ("DELETE", "/items/5", {}),
    ("POST", "/items/5", {"json": {"a": 1}}),
    ("GET", "/items/5/", {}),
]
