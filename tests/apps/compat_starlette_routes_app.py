"""Starlette's Route, Mount and WebSocketRoute in `FastAPI(routes=[...])`, for the example-app set: the
endpoints get the request as Starlette gives it, answer with Starlette's responses, are not in OpenAPI and do
not run the app's dependencies."""

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute

from astraapi import Depends, FastAPI, HTTPException


def app_dependency():
    raise HTTPException(401, "the app's dependencies do not run on Starlette's routes")


async def hello(request: Request):
    return PlainTextResponse(f"hello {request.path_params['name']} q={request.query_params.get('q')} "
                             f"starlette={isinstance(request, Request)}")


def created(request: Request):
    return JSONResponse({"method": request.method, "item": request.path_params["item_id"] + 1}, status_code=201)


async def echo(websocket):
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


app = FastAPI(dependencies=[Depends(app_dependency)], routes=[
    Route("/hello/{name}", hello),
    Route("/items/{item_id:int}", created, methods=["POST"]),
    Mount("/sub", routes=[Route("/hello/{name}", hello, name="sub_hello")]),
    WebSocketRoute("/ws", echo),
])


@app.get("/api")
def api_route():
    return {"api": True}


REQUESTS = [
    ("GET", "/hello/bob?q=1", {}),
    ("HEAD", "/hello/bob", {}),
    ("POST", "/items/41", {}),
    ("GET", "/items/41", {}),
    ("POST", "/items/x", {}),
    ("GET", "/sub/hello/ann", {}),
    ("GET", "/api", {}),
    ("GET", "/openapi.json", {}),
]
