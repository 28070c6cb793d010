"""Form() parameters read from the whole form (a model, an optional one, a union of models) are
described in the IR (`ParamIR.form_models`: the model keys), survive the IR's JSON round trip, and
leave their route to the generic path in compiled mode with the reason named. Their answers, in both
modes and against FastAPI, are tests/compat/test_example_apps.py's (compat_forms_app)."""

from __future__ import annotations

import importlib
import textwrap

from astraapi.introspection.app import build_ir
from astraapi.ir.nodes import AppIR

APP = """
from typing import Annotated, Literal, Optional, Union
from pydantic import AliasChoices, BaseModel
from astraapi import FastAPI, Form

app = FastAPI()

class Text(BaseModel):
    kind: Literal["text"]
    value: str

class Many(BaseModel):
    kind: Literal["list"]
    value: list[str]

@app.post("/union")
def union(data: Annotated[Union[Text, Many], Form(discriminator="kind")],
          token: Annotated[str, Form(validation_alias=AliasChoices("token", "key"))]):
    return data

@app.post("/optional")
def optional(data: Annotated[Optional[Text], Form()] = None):
    return data
"""


def _ir(tmp_path, monkeypatch):
    (tmp_path / "form_models_ir_app.py").write_text(textwrap.dedent(APP))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("form_models_ir_app")
    return build_ir(module.app, app_ref="form_models_ir_app:app")


def test_union_and_optional_form_models_are_in_the_ir(tmp_path, monkeypatch):
    ir = _ir(tmp_path, monkeypatch)
    union = next(route for route in ir.routes if route.path == "/union")
    data, token = union.params
    assert data.form_models == ("form_models_ir_app.Text", "form_models_ir_app.Many")
    assert token.form_models == () and token.alias_choices == ("token", "key")
    assert union.body_is_form and union.body_embedded
    optional = next(route for route in ir.routes if route.path == "/optional")
    assert optional.params[0].form_models == ("form_models_ir_app.Text",)
    assert not optional.body_embedded  # a lone form model reads the whole form
    again = AppIR.from_json(ir.to_json())
    assert again.ir_hash() == ir.ir_hash()
    assert next(r for r in again.routes if r.path == "/union").params[0].form_models == data.form_models


def test_compiled_mode_names_why_form_models_stay_on_the_generic_path(tmp_path, monkeypatch):
    from astraapi.compiler.codegen.emit import emit_app_module

    ir = _ir(tmp_path, monkeypatch)
    emitted = emit_app_module(ir)
    routes = [route for route in ir.routes if route.path in ("/union", "/optional")]
    assert len(routes) == 2
    for route in routes:
        assert route.index not in emitted.decoder_routes
        assert "form bodies are decoded on the generic path" in emitted.decoder_fallbacks[route.index]
