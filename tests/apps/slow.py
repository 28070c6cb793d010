"""An app with slow endpoints, for the shutdown and fault tests."""

import asyncio
import os
import time

from astraapi import FastAPI

app = FastAPI()


@app.get("/")
async def root():
    return {"pid": os.getpid()}


@app.get("/sleep/{ms}")
async def sleep_async(ms: int):
    await asyncio.sleep(ms / 1000)
    return {"slept": ms, "pid": os.getpid()}


@app.get("/block/{ms}")
def sleep_sync(ms: int):
    time.sleep(ms / 1000)
    return {"blocked": ms, "pid": os.getpid()}


@app.get("/hang/{ms}")
async def hang(ms: int):
    time.sleep(ms / 1000)  # blocks the worker's event loop: it cannot even see SIGTERM
    return {"hung": ms}
