"""GZipMiddleware with Starlette's default compresslevel (9): tests/api/test_gzip_levels_served.py
checks that the served bytes are libdeflate's at gzip_level_for_zlib(9), not at its level 9."""

from astraapi import FastAPI
from astraapi.middleware.gzip import GZipMiddleware
from astraapi.responses import PlainTextResponse

app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=1000)


@app.get("/rows")
async def rows():
    return {"rows": [{"id": i, "name": f"row number {i}", "score": i * 0.25} for i in range(300)]}


@app.get("/text")
async def text():
    return PlainTextResponse("".join(f"line {i}: the quick brown fox {i * i % 97}\n" for i in range(400)))
