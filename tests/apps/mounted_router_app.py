"""`app.mount(path, APIRouter)`: a router is an ASGI app (Starlette's Router), mounted as FastAPI mounts it."""

from astraapi import APIRouter, FastAPI, HTTPException, Request
from astraapi.responses import JSONResponse, PlainTextResponse


class Teapot(Exception):
    pass


router = APIRouter(max_body_size=10)


@router.post("/echo")
async def echo(request: Request):
    return PlainTextResponse(await request.body())


@router.get("/items/{item_id}")
def item(item_id: int, request: Request):
    return {"item_id": item_id, "root_path": request.scope.get("root_path"), "path": request.url.path}


@router.get("/teapot")
def teapot():
    raise Teapot()


@router.get("/missing")
def missing():
    raise HTTPException(404, "no such thing")


app = FastAPI(max_body_size=5)
app.mount("/sub", router)


@app.exception_handler(Teapot)
async def teapot_handler(request: Request, exc: Teapot):
    return JSONResponse({"teapot": True}, status_code=418)


@router.get("/later")  # added to the router after it was mounted: served too
def later():
    return "later"
