"""The native-writer path and compiled serializers give the generic path's bytes.

`astraapi._runtime` may not be built here, so a Python stand-in with the documented
contract of `_runtime.dumps` (plain JSON types only, TypeError otherwise) drives the same
code.
"""

from __future__ import annotations

import json
import math

import pytest

from harness import EngineClient, load_pair

import astraapi.engine.executor as executor_module
from astraapi.engine import Executor

APP = """
import datetime
from pydantic import BaseModel
from FRAMEWORK import FastAPI

app = FastAPI()

class Out(BaseModel):
    name: str
    score: float

@app.get("/plain")
async def plain():
    return {"a": [1, 2.5, None, True], "b": "é", "c": (1, 2)}

@app.get("/sqlalchemy-keys")
async def sqlalchemy_keys():
    return {"_sa_instance_state": "dropped", "kept": {"_sa": 1, "x": 2}}

@app.get("/encoded")
async def encoded():
    return {"when": datetime.date(2024, 1, 2), "ids": {1}, "n": {3: "int key"}}

@app.get("/model", response_model=Out)
async def model():
    return {"name": "x", "score": 1e16, "dropped": 1}
"""


def contract_dumps(value, jsonable=False):
    def check(item):
        if item is None or isinstance(item, (bool, int, str)):
            return
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError("Out of range float values are not JSON compliant")
            return
        if isinstance(item, (list, tuple)):
            for element in item:
                check(element)
            return
        if isinstance(item, dict):
            for key, element in item.items():
                if not isinstance(key, str):
                    raise TypeError("keys must be str")
                if jsonable and key.startswith("_sa"):
                    raise TypeError("a '_sa' key: jsonable_encoder drops it")
                check(element)
            return
        raise TypeError(f"unsupported type {type(item).__name__}")

    check(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@pytest.fixture
def apps(tmp_path):
    return load_pair(APP, tmp_path)


def test_native_writer_path_matches_generic(apps, monkeypatch):
    _, ours = apps
    generic = EngineClient(ours.app)
    monkeypatch.setattr(executor_module, "_native_dumps", lambda: contract_dumps)
    native = EngineClient(ours.app)
    try:
        for url in ("/plain", "/sqlalchemy-keys", "/encoded", "/model"):
            assert native.request("GET", url) == generic.request("GET", url)
    finally:
        generic.close()
        native.close()


def test_compiled_serializer_is_used_and_may_decline(apps):
    _, ours = apps
    client = EngineClient(ours.app)
    index = next(r.index for r in client.ir.routes if r.path == "/model")
    seen = []

    def compiled(value):
        seen.append(value)
        return b'{"compiled":true}' if len(seen) == 1 else None

    generic = client.request("GET", "/model")[2]
    client.executor = Executor(ours.app, client.ir, compiled_serializers={index: compiled})
    try:
        assert client.request("GET", "/model")[2] == b'{"compiled":true}'
        assert client.request("GET", "/model")[2] == generic  # declined: pydantic's dump_json
        assert type(seen[0]).__name__ == "Out"  # it receives the validated value
    finally:
        client.close()


def test_real_native_writer_drops_sqlalchemy_keys_like_fastapi(apps):
    pytest.importorskip("astraapi._runtime")
    reference, ours = apps
    client = EngineClient(ours.app)
    try:
        status, _, body = client.request("GET", "/sqlalchemy-keys")
        assert (status, body) == (200, b'{"kept":{"x":2}}')
    finally:
        client.close()
