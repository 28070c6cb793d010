"""`astraapi._compat` (FastAPI's `fastapi._compat`): the helpers FastAPI's tests and libraries built on
FastAPI import, compared with FastAPI's own answers where FastAPI is installed."""

from __future__ import annotations

from collections import deque
from typing import Annotated, Optional, Union

import pytest
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from astraapi import UploadFile
from astraapi._compat import shared, v2

def annotations(upload):
    return [
    int, str, bytes, list[int], list[str] | None, tuple[int, ...], set[bytes], deque[int], dict[str, int],
    Optional[list[upload]], list[upload], Union[int, list[int]], Union[list[int], dict[str, int]],
    Annotated[list[int], "x"], upload, Optional[bytes], list[bytes] | list[str], list[list[int]], list[str] | list[upload],
    ]
PREDICATES = [
    "field_annotation_is_sequence", "field_annotation_is_scalar", "field_annotation_is_scalar_sequence",
    "field_annotation_is_complex", "is_bytes_or_nonable_bytes_annotation", "is_bytes_sequence_annotation",
    "is_uploadfile_or_nonable_uploadfile_annotation", "is_uploadfile_sequence_annotation",
]


@pytest.mark.parametrize("name", PREDICATES)
def test_predicates_answer_as_fastapi(name):
    fastapi_shared = pytest.importorskip("fastapi._compat.shared")
    import fastapi

    ours = [getattr(shared, name)(a) for a in annotations(UploadFile)]
    theirs = [getattr(fastapi_shared, name)(a) for a in annotations(fastapi.UploadFile)]
    assert ours == theirs


def test_version_and_undefined():
    import pydantic
    from pydantic_core import PydanticUndefined

    from astraapi._compat import PYDANTIC_V2, PYDANTIC_VERSION_MINOR_TUPLE, RequiredParam, Undefined

    assert PYDANTIC_VERSION_MINOR_TUPLE == tuple(int(p) for p in pydantic.VERSION.split(".")[:2])
    assert PYDANTIC_V2 is True
    assert Undefined is PydanticUndefined and RequiredParam is PydanticUndefined
    assert shared.lenient_issubclass(list[int], list) is False and shared.lenient_issubclass(bool, int)


def test_model_field_validates_and_serializes():
    field = v2.ModelField(name="price", field_info=FieldInfo(annotation=float, default=1.5, gt=0))
    assert field.default == 1.5 and field.alias == "price" and not field.required
    assert field.validate("2.5") == (2.5, [])
    value, errors = field.validate(-1, loc=("body", "price"))
    assert value is None
    assert errors[0]["loc"] == ("body", "price") and errors[0]["type"] == "greater_than"
    assert field.serialize_json(2.0) == b"2.0"
    required = v2.ModelField(name="foo", field_info=FieldInfo(annotation=str))
    assert required.default is v2.Undefined and required.required


def test_missing_field_error_and_sequence_value():
    assert v2.get_missing_field_error(("query", "q")) == {
        "type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None,
    }
    field = v2.ModelField(name="items", field_info=FieldInfo(annotation=Union[None, set[str]]))
    assert v2.serialize_sequence_value(field=field, value=["a", "a"]) == {"a"}


def test_definitions_for_nested_models():
    class Tag(BaseModel):
        name: str

    class Item(BaseModel):
        title: str = Field(description="shown\fhidden")
        tags: list[Tag] = []

    field = v2.ModelField(name="item", field_info=FieldInfo(annotation=Item))
    models = v2.get_flat_models_from_fields([field], known_models=set())
    assert models == {Item, Tag}
    mapping, definitions = v2.get_definitions(fields=[field], model_name_map=v2.get_model_name_map(models))
    assert mapping[(field, "validation")] == {"$ref": "#/components/schemas/Item"}
    assert set(definitions) == {"Item", "Tag"}
    assert v2.get_schema_from_model_field(field=field, model_name_map={}, field_mapping=mapping) == {
        "$ref": "#/components/schemas/Item",
    }
    body = v2.create_body_model(fields=[field], model_name="Body_create")
    assert body.model_validate({"item": {"title": "t"}}).item.title == "t"
