"""An app without GZipMiddleware, served with the server's own gzip (`--gzip`):
tests/api/test_native_gzip.py."""

from astraapi import FastAPI
from astraapi.responses import PlainTextResponse, Response, StreamingResponse

app = FastAPI()


@app.get("/big")
async def big():
    return {"rows": [{"id": i, "name": f"row {i} ✓"} for i in range(200)]}


@app.get("/small")
def small():
    return {"ok": True}


@app.get("/text")
async def text():
    return PlainTextResponse("plain text " * 200, headers={"Vary": "Origin"})


@app.get("/png")
async def png():
    return Response(b"\x89PNG" + b"\0" * 2000, media_type="image/png")


@app.get("/svg")
async def svg():
    return Response("<svg>" + "<g/>" * 500 + "</svg>", media_type="image/svg+xml")


@app.get("/events")
async def events():
    return Response("data: x\n\n" * 200, media_type="text/event-stream")


@app.get("/encoded")
async def encoded():
    return Response(b"x" * 2000, headers={"Content-Encoding": "br"}, media_type="text/plain")


@app.get("/partial")
async def partial():
    return Response(b"y" * 2000, status_code=206, media_type="text/plain")


@app.get("/stream")
async def stream():
    async def lines():
        for i in range(300):
            yield f"line {i}\n"

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/stream-empty")
async def stream_empty():
    return StreamingResponse(iter([]), media_type="text/plain")
