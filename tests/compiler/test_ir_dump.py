"""The IR: canonical dump, round trip, a hash that is stable across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from astraapi.introspection.app import build_ir
from astraapi.ir.nodes import AppIR

REPO = Path(__file__).resolve().parents[2]

APP = textwrap.dedent(
    """
    from typing import Annotated, Optional
    from enum import Enum
    from pydantic import BaseModel, Field, field_validator
    from astraapi import APIRouter, Body, FastAPI, Header, Query

    app = FastAPI(title="IR test", version="2.0")

    class Kind(Enum):
        a = "a"

    class Tag(BaseModel):
        label: str
        weight: float = 1.0

    class Item(BaseModel):
        name: str = Field(serialization_alias="itemName")
        tags: set[str] = {"x", "y", "z"}
        children: list[Tag] = []
        kind: Optional[Kind] = None

    class Checked(BaseModel):
        value: int

        @field_validator("value")
        @classmethod
        def positive(cls, v):
            return v

    @app.get("/items/{item_id}", tags=["items"], summary="Read")
    async def read_item(item_id: int, q: Annotated[Optional[str], Query(max_length=5)] = None,
                        x_token: str = Header("t")) -> Item:
        return Item(name="n")

    @app.put("/items/{item_id}", response_model=Checked, status_code=202)
    def update(item_id: int, item: Item, extra: int = Body(3)):
        return {"value": 1}

    router = APIRouter(prefix="/r")

    @router.api_route("/both", methods=["post", "GET"])
    def both():
        return {}

    app.include_router(router)
    """
)


@pytest.fixture
def app_module(tmp_path, monkeypatch):
    (tmp_path / "ir_app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("ir_app", None)
    import ir_app

    yield ir_app
    sys.modules.pop("ir_app", None)


def test_round_trip(app_module):
    ir = build_ir(app_module.app, app_ref="ir_app:app")
    text = ir.to_json()
    again = AppIR.from_json(text)
    assert again == ir
    assert again.to_json() == text
    assert again.ir_hash() == ir.ir_hash()


def test_serving_text_round_trip_one_line_per_route(app_module):
    """The serving IR (a build's serving_ir.jsonl): the app's line, then one line per route, each
    parsed on first use; line breaks inside strings (a description with "\\n", U+2028) stay
    inside their line."""
    import dataclasses

    @app_module.app.get("/described", description="two\nlines\u2028and a separator", summary="S\u2029")
    def described():
        return {}

    ir = build_ir(app_module.app, app_ref="ir_app:app")
    text = ir.to_serving_text()
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 1 + len(ir.routes) + 1
    served = AppIR.serving_from_text(text, ir.ir_hash())
    assert served.ir_hash() == ir.ir_hash()
    assert served.models == ()
    assert served.routes._built == [None] * len(ir.routes)  # nothing parsed yet
    assert served.routes[-1].description == "two\nlines\u2028and a separator"
    assert [served.routes[i] for i in range(len(ir.routes))] == list(ir.routes)
    assert dataclasses.replace(served, routes=ir.routes) == dataclasses.replace(ir, models=())


def test_contents(app_module):
    ir = build_ir(app_module.app, app_ref="ir_app:app")
    read, update, both = [route for route in ir.routes if route.include_in_schema]  # after the docs routes
    assert (read.index, read.path, read.methods, read.endpoint) == (4, "/items/{item_id}", ("GET",), "ir_app:read_item")
    decorator_line = APP.splitlines().index('@app.get("/items/{item_id}", tags=["items"], summary="Read")') + 1
    assert read.source.file == "ir_app.py" and read.source.line == decorator_line
    assert [(p.name, p.location, p.alias, p.required) for p in read.params] == [
        ("item_id", "path", "item_id", True), ("q", "query", "q", False), ("x_token", "header", "x-token", False),
    ]
    assert read.params[1].constraints == (("max_length", "5"),)
    assert read.params[1].type.kind == "optional" and read.params[1].type.args[0].kind == "str"
    assert read.response_model is not None and read.response_model.model == "ir_app.Item"
    assert read.is_async and not update.is_async
    assert update.body_embedded and all(p.embed for p in update.params if p.location == "body")
    assert update.status_code == 202
    assert both.methods == ("POST", "GET") and both.path == "/r/both"
    models = {m.key: m for m in ir.models}
    assert list(models) == ["ir_app.Checked", "ir_app.Item", "ir_app.Tag"]
    assert models["ir_app.Item"].fields[0].serialized_name == "itemName"
    assert models["ir_app.Item"].fallback_reasons == ()
    assert models["ir_app.Checked"].fallback_reasons == ("has field validators",)
    assert "0x" not in ir.to_json()


def _hash_in_subprocess(directory: Path, seed: str) -> str:
    code = "from astraapi.introspection.app import build_ir; import ir_app; print(build_ir(ir_app.app, 'ir_app:app').ir_hash())"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join([str(REPO), str(directory)])}
    return subprocess.run([sys.executable, "-c", code], cwd=directory, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_hash_is_stable_across_processes(app_module, tmp_path):
    here = build_ir(app_module.app, app_ref="ir_app:app").ir_hash()
    assert _hash_in_subprocess(tmp_path, "1") == here
    assert _hash_in_subprocess(tmp_path, "12345") == here
