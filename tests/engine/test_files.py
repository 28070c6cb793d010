"""File() / UploadFile multipart uploads against FastAPI (Starlette + python-multipart)."""

from __future__ import annotations

import pytest

pytest.importorskip("multipart")

APP = """
from typing import Annotated, Optional, Union
from FRAMEWORK import FastAPI, File, Form, UploadFile

app = FastAPI()

def describe(f):
    return {"filename": f.filename, "content_type": f.content_type, "size": f.size,
            "headers": sorted(f.headers.items())}

@app.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    await file.seek(0)
    again = await file.read(3)
    return {**describe(file), "data": data.decode("latin-1"), "again": again.decode("latin-1")}

@app.post("/upload-sync")
def upload_sync(file: UploadFile = File(...), note: str = Form("none")):
    return {**describe(file), "data": file.file.read().decode("latin-1"), "note": note}

@app.post("/bytes")
async def as_bytes(file: Annotated[bytes, File()]):
    return {"size": len(file), "head": file[:10].decode("latin-1")}

@app.post("/bytes-list")
async def bytes_list(files: Annotated[list[bytes], File()]):
    return {"sizes": [len(f) for f in files]}

@app.post("/many")
async def many(files: list[UploadFile], tag: Annotated[str, Form()] = "t"):
    return {"names": [f.filename for f in files], "tag": tag,
            "data": [(await f.read()).decode() for f in files]}

@app.post("/optional")
async def optional(file: Optional[UploadFile] = None):
    return {"file": None if file is None else file.filename}

@app.post("/optional-bytes")
async def optional_bytes(file: Annotated[Union[bytes, None], File()] = None):
    return {"file": None if file is None else len(file)}

@app.post("/described")
async def described(file: Annotated[UploadFile, File(description="a file")], extra: Annotated[str, Form()]):
    return {"name": file.filename, "extra": extra}

@app.post("/write")
async def write(file: UploadFile):
    await file.seek(0)
    await file.write(b"!!")
    await file.seek(0)
    return {"data": (await file.read()).decode("latin-1"), "size": file.size}
"""

BOUNDARY = "XyZboundary42"
CT = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart(*parts: tuple[str, str | None, bytes, dict[str, str] | None]) -> bytes:
    out = b""
    for name, filename, data, headers in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8")
        for key, value in (headers or {}).items():
            out += f"{key}: {value}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def pair(make_pair):
    return make_pair(APP)


FILE = ("file", "hello.txt", b"hello world\x00\xff", {"Content-Type": "text/plain"})


@pytest.mark.parametrize(
    "url,body",
    [
        ("/upload", multipart(FILE)),
        ("/upload", multipart(("file", "ünï côdé.bin", b"x" * 2_000_000, {"Content-Type": "application/x-thing",
                                                                           "X-Custom": "1"}))),
        ("/upload", multipart(("file", "C:\\Users\\me\\doc.txt", b"ie", None))),
        ("/upload", multipart(("file", "", b"", None))),  # an empty file input: missing
        ("/upload", multipart(("file", None, b"text, not a file", None))),  # a text field: 422
        ("/upload", multipart(("other", "a.txt", b"x", None))),
        ("/upload", b""),
        ("/upload-sync", multipart(FILE, ("note", None, b"n\xc3\xb6te", None))),
        ("/upload-sync", multipart(FILE)),
        ("/bytes", multipart(FILE)),
        ("/bytes", multipart(("file", None, b"a plain field", None))),
        ("/bytes-list", multipart(FILE, ("file", "b", b"22", None), ("files", "c", b"333", None),
                                  ("files", "d", b"4444", None))),
        ("/bytes-list", multipart(FILE)),
        ("/many", multipart(("files", "a.txt", b"A", None), ("files", "b.txt", b"B", None), ("tag", None, b"x", None))),
        ("/many", multipart(("files", "", b"", None))),
        ("/optional", multipart(FILE)),
        ("/optional", multipart(("file", "", b"", None))),
        ("/optional", multipart(("x", None, b"1", None))),
        ("/optional-bytes", multipart(FILE)),
        ("/optional-bytes", multipart(("y", None, b"1", None))),
        ("/described", multipart(FILE, ("extra", None, b"e", None))),
        ("/described", multipart(FILE)),
        ("/write", multipart(FILE)),
    ],
)
def test_uploads_match_fastapi(pair, url, body):
    pair.check("POST", url, headers=CT, content=body)


def test_too_many_files(pair):
    body = multipart(*[("files", f"f{i}", b"x", None) for i in range(1001)])
    status, _, content = pair.check("POST", "/many", headers=CT, content=body)
    assert status == 400 and b"Too many files" in content


def test_urlencoded_body_for_a_file_param(pair):
    pair.check("POST", "/upload", headers={"content-type": "application/x-www-form-urlencoded"},
               content=b"file=abc")
