"""A sub-application mounted under /subapi (FastAPI's "Sub Applications - Mounts"), beside the
main app's routes and a StaticFiles mount."""

import os

from astraapi import FastAPI, HTTPException, Request
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import JSONResponse
from astraapi.staticfiles import StaticFiles

app = FastAPI()


@app.get("/app")
def read_main():
    return {"message": "Hello World from main app"}


subapi = FastAPI(title="Sub")
subapi.add_middleware(GZipMiddleware, minimum_size=1000)


@subapi.exception_handler(HTTPException)
async def sub_http_error(request: Request, exc: HTTPException):
    return JSONResponse({"sub_error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


@subapi.get("/sub")
def read_sub():
    return {"message": "Hello World from sub API"}


@subapi.get("/items/{item_id}")
def read_item(item_id: int, request: Request):
    return {"item_id": item_id, "path": request.url.path}


@subapi.get("/big")
def big():
    return {"data": "x" * 2000}


@subapi.post("/items/")
async def create_item(request: Request):
    return {"created": True}


app.mount("/subapi", subapi)
app.mount("/static", StaticFiles(directory=os.path.join(os.environ["STATIC_ROOT"], "static")), name="static")
