"""sse-starlette, unmodified: `EventSourceResponse` (a Starlette Response subclass that sends its own ASGI
messages) returned from endpoints: a finite stream of events, and an endless one whose generator must be
closed when the client leaves (`/closed` tells). tests/ecosystem/test_ecosystem_packages.py."""

import asyncio

from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from astraapi import FastAPI

app = FastAPI()
closed: list[str] = []


@app.get("/events")
async def events():
    async def generate():
        for n in range(3):
            yield {"event": "tick", "id": str(n), "data": f"n{n}"}
        yield ServerSentEvent(data="bye", event="end")

    return EventSourceResponse(generate(), headers={"x-sse": "1"})


@app.get("/endless")
async def endless():
    async def generate():
        try:
            n = 0
            while True:
                yield {"data": str(n)}
                n += 1
                await asyncio.sleep(0.01)
        finally:
            closed.append("endless")

    return EventSourceResponse(generate())


@app.get("/closed")
def was_closed():
    return {"closed": closed}
