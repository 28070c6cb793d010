"""Endpoints that run inline (no suspension point) next to ones that need a task."""

import asyncio
import contextvars
from typing import Annotated

from astraapi import Depends, FastAPI, HTTPException
from astraapi.security import OAuth2PasswordBearer

app = FastAPI()
seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")
bearer = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


@app.get("/inline/{value}")
async def inline(value: str):
    before = seen.get()
    seen.set(value)  # in FastAPI each request has its own context: this never leaks
    return {"before": before, "task": asyncio.current_task() is not None}


@app.get("/awaits")
async def awaits():
    await asyncio.sleep(0)
    return {"task": asyncio.current_task() is not None}


@app.get("/timeout")
async def timeout():
    async with asyncio.timeout(5):  # needs a current task
        await asyncio.sleep(0)
    return {"ok": True}


@app.get("/raises")
async def raises():
    raise HTTPException(status_code=418, detail="teapot")


@app.get("/crashes")
async def crashes():
    return 1 / 0


# The general path (dependencies) starts inline too, and moves to a task only where it must.
def _task() -> bool:
    return asyncio.current_task() is not None


async def session():
    tasks = [_task()]
    yield tasks
    tasks.append(_task())


async def awaiting():
    await asyncio.sleep(0)
    return _task()


def threaded():
    import threading

    return threading.current_thread() is not threading.main_thread()  # a worker thread


@app.get("/deps/inline")
async def deps_inline(tasks: Annotated[list, Depends(session)], token: Annotated[str | None, Depends(bearer)]):
    before = seen.get()
    seen.set("deps")
    return {"dep": tasks[0], "endpoint": _task(), "before": before, "token": token}


@app.get("/deps/awaits")
async def deps_awaits(tasks: Annotated[list, Depends(session)], awaited: Annotated[bool, Depends(awaiting)]):
    return {"dep": tasks[0], "awaited": awaited, "endpoint": _task()}


@app.get("/deps/thread")
async def deps_thread(tasks: Annotated[list, Depends(session)], threaded: Annotated[bool, Depends(threaded)]):
    return {"dep": tasks[0], "thread": threaded, "endpoint": _task()}


@app.get("/deps/timeout")
async def deps_timeout(tasks: Annotated[list, Depends(session)]):
    async with asyncio.timeout(5):  # needs a current task: the endpoint can suspend, so it has one
        await asyncio.sleep(0)
    return {"dep": tasks[0], "endpoint": _task()}
