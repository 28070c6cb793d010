"""IR fields that most apps leave empty (parameter models, callbacks, JSON Lines item schemas, per-route body
limits) stay out of the dump when empty, so the IR hash of an app without them does not change; when set
they survive a JSON round trip."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from typing import Annotated

from pydantic import BaseModel

from astraapi import APIRouter, FastAPI, Header, Query
from astraapi.introspection.app import build_ir
from astraapi.ir.nodes import AppIR

OPTIONAL = ("fields", "alias_choices", "form_limits", "strict_content_type", "callbacks", "json_stream",
            "stream_item_schema_json", "max_body_size")


def _keys(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        found.update(value)
        for item in value.values():
            _keys(item, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


def test_plain_app_dump_has_no_optional_fields():
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read(item_id: int, q: str | None = None):
        return {}

    keys = _keys(json.loads(build_ir(app).to_json())["routes"], set())  # AppIR.max_body_size is always there
    assert not keys.intersection(OPTIONAL)


class Filters(BaseModel):
    limit: int = 10
    x_tag: list[str] = []


class Item(BaseModel):
    name: str


def test_optional_fields_round_trip():
    app = FastAPI()
    callbacks = APIRouter()

    @callbacks.post("{$url}/done")
    def done(body: Item):
        pass

    @app.get("/items", callbacks=callbacks.routes, max_body_size=10)
    def items(filters: Annotated[Filters, Query()], headers: Annotated[Filters, Header()]):
        return {}

    @app.get("/stream")
    async def stream() -> AsyncIterable[Item]:
        yield Item(name="a")

    ir = build_ir(app)
    route = next(r for r in ir.routes if r.path == "/items")
    assert route.max_body_size == 10
    assert [f.alias for f in route.params[0].fields] == ["limit", "x_tag"]
    assert [f.alias for f in route.params[1].fields] == ["limit", "x-tag"]
    assert [c.path for c in route.callbacks] == ["{$url}/done"]
    stream = next(r for r in ir.routes if r.path == "/stream")
    assert stream.json_stream and stream.stream_item_schema_json == '{"$ref":"#/components/schemas/Item"}'
    again = AppIR.from_json(ir.to_json())
    assert again == ir and again.ir_hash() == ir.ir_hash()
