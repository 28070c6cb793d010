"""An integration that replaces `routing.get_request_handler` (as Sentry's FastAPI integration does):
it wraps each sync endpoint (`dependant.call`) and each route's handler (with WRAP_GET_REQUEST_HANDLER=1)."""

import os
from functools import wraps

import astraapi.routing as routing
from astraapi import APIRouter, Depends, FastAPI

CALLS = {"endpoint": 0, "built": 0}
_original = routing.get_request_handler


def _wrapping_get_request_handler(*args, **kwargs):
    dependant = kwargs["dependant"]
    call = dependant.call

    @wraps(call)
    def counted(*call_args, **call_kwargs):
        CALLS["endpoint"] += 1
        return call(*call_args, **call_kwargs)

    if not hasattr(call, "__wrapped__"):
        dependant.call = counted
    CALLS["built"] += 1
    handler = _original(*args, **kwargs)

    async def app_handler(request):
        response = await handler(request)
        response.headers["x-wrapped"] = f"{CALLS['endpoint']}/{CALLS['built']}"
        return response

    return app_handler


# Only in the server this app is started for: other tests load every app of this folder in their process.
if os.environ.get("WRAP_GET_REQUEST_HANDLER") == "1":
    routing.get_request_handler = _wrapping_get_request_handler

app = FastAPI()
router = APIRouter()


def dependency():
    return "dep"


@app.get("/items/{item_id}")
def read_item(item_id: int, value: str = Depends(dependency)):
    return {"item_id": item_id, "value": value}


@router.get("/async")
async def read_async():
    return {"async": True}


app.include_router(router, prefix="/r")
