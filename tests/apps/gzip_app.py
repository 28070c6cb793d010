from pydantic import BaseModel

from astraapi import FastAPI
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import PlainTextResponse, Response

app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)


class Row(BaseModel):
    id: int
    name: str


@app.get("/big")
async def big():
    return {"rows": [{"id": i, "name": f"row {i} ✓"} for i in range(200)]}


@app.get("/small")
async def small():
    return {"ok": True}


@app.get("/model", response_model=list[Row])
def model():
    return [{"id": i, "name": "x" * 20} for i in range(100)]


@app.get("/text")
async def text():
    return PlainTextResponse("plain text " * 200, headers={"Vary": "Origin"})


@app.get("/events")
async def events():
    return Response("data: x\n\n" * 200, media_type="text/event-stream")


@app.get("/encoded")
async def encoded():
    return Response(b"x" * 2000, headers={"Content-Encoding": "br"}, media_type="application/octet-stream")
