"""File uploads and the app-level body limit, for tests/api/test_uploads_served.py."""

from __future__ import annotations

import hashlib
from typing import Annotated

from astraapi import FastAPI, File, Form, UploadFile

app = FastAPI(max_body_size=4 * 1024 * 1024)


@app.post("/upload")
async def upload(file: UploadFile, note: Annotated[str, Form()] = ""):
    data = await file.read()
    return {"filename": file.filename, "content_type": file.content_type, "size": file.size,
            "sha256": hashlib.sha256(data).hexdigest(), "note": note}


@app.post("/many")
def many(files: Annotated[list[bytes], File()]):
    return {"sizes": [len(f) for f in files]}


@app.post("/echo")
async def echo(payload: dict):
    return payload
