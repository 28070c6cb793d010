"""Which routes the server calls directly (astraapi/engine/direct.py), made visible: each endpoint
answers with the file of the Python frame that called it, which is the engine's on the handler path
and never the engine's on the direct call. For tests/engine/test_direct_routes.py."""

import asyncio
import os
import sys
from typing import Optional

from pydantic import BaseModel

from astraapi import APIRouter, Depends, FastAPI, Request
from astraapi.middleware.cors import CORSMiddleware

router = APIRouter()


def caller() -> dict:
    frame = sys._getframe(2)  # 0: caller(), 1: the endpoint, 2: whoever called the endpoint
    filename = frame.f_code.co_filename if frame is not None else ""
    return {"engine": f"{os.sep}astraapi{os.sep}engine{os.sep}" in filename}


class Out(BaseModel):
    engine: bool
    item_id: int
    q: Optional[str] = None


@router.get("/plain")
async def plain():
    return caller()


@router.get("/items/{item_id}", response_model=Out)
async def item(item_id: int, q: Optional[str] = None):
    return {**caller(), "item_id": item_id, "q": q}


def dependency():
    return 1


@router.get("/dependency")
async def with_dependency(value: int = Depends(dependency)):
    return caller()


@router.get("/request")
async def with_request(request: Request):
    return caller()


@router.get("/awaits")
async def awaits():
    await asyncio.sleep(0)
    return caller()


@router.get("/sync")
def sync():
    return caller()


@router.get("/gone", status_code=410)
async def gone():  # a non-2xx status: the handler path answers it (the direct call declines the route)
    return caller()


app = FastAPI()
app.include_router(router)

cors_app = FastAPI()  # the same routes behind Python middleware
cors_app.add_middleware(CORSMiddleware, allow_origins=["*"])
cors_app.include_router(router)

function_middleware_app = FastAPI()  # the same routes behind a function middleware


@function_middleware_app.middleware("http")
async def mark(request, call_next):
    response = await call_next(request)
    response.headers["x-function"] = "1"
    return response

function_middleware_app.include_router(router)
