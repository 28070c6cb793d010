"""Endpoints that run inline (no suspension point) next to ones that need a task."""

import asyncio
import contextvars

from astraapi import FastAPI, HTTPException

app = FastAPI()
seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")


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
