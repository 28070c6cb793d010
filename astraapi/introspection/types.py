"""Annotations -> TypeRef (the IR's type references), collecting the pydantic models they reach."""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, Literal, get_args, get_origin

import pydantic.networks as _networks
import pydantic_core
from pydantic import BaseModel
from pydantic.networks import EmailStr
from pydantic.types import SecretBytes, SecretStr

from astraapi.ir.nodes import TypeRef
from astraapi.introspection.annotations import (
    _ADDRESS,
    _UNION_ORIGINS,
    _json_or_none,
    _lenient_issubclass,
    _qualified,
    strip_annotated,
)

# --------------------------------------------------------------------------- type references


class _TypeMapper:
    """Annotations -> TypeRef, collecting the pydantic models they reach."""

    _SIMPLE: dict[Any, str] = {
        int: "int", float: "float", str: "str", bool: "bool", type(None): "none", None: "none",
        Any: "any", datetime.datetime: "datetime", datetime.date: "date", datetime.time: "time",
        datetime.timedelta: "timedelta", uuid.UUID: "uuid", decimal.Decimal: "decimal", bytes: "bytes",
        # A validated EmailStr is a plain str (validating one needs email-validator: pydantic's job).
        EmailStr: "email",
        SecretStr: "secret_str", SecretBytes: "secret_bytes", ipaddress.IPv4Address: "ipv4",
        pydantic_core.Url: "url", pydantic_core.MultiHostUrl: "url",
    }
    # pydantic's URL classes (HttpUrl, AnyUrl, ...): instances hold a pydantic_core Url whose text is their JSON.
    _URL_BASES: tuple[type, ...] = tuple(c for c in (getattr(_networks, "_BaseUrl", None),) if isinstance(c, type))
    # Containers validated into another class than their kind's own (TypeRef.form).
    _FORMS: dict[Any, str] = {frozenset: "frozenset", deque: "deque"}
    _CONTAINERS: dict[Any, str] = {
        list: "list", Sequence: "list", deque: "list", set: "set", frozenset: "set", tuple: "tuple",
        dict: "dict", Mapping: "dict",
    }

    def __init__(self) -> None:
        self.models: dict[str, type[BaseModel]] = {}

    def ref(self, annotation: Any) -> TypeRef:
        annotation = strip_annotated(annotation)
        text = type_text(annotation)
        simple = self._SIMPLE.get(annotation) if _hashable(annotation) else None
        if simple is not None:
            return TypeRef(kind=simple, text=text)
        origin = get_origin(annotation)
        args = get_args(annotation)
        if origin in _UNION_ORIGINS:
            rest = [a for a in args if a not in (type(None), None)]
            if len(rest) < len(args):
                inner = self.ref(rest[0]) if len(rest) == 1 else TypeRef(
                    kind="union", args=tuple(self.ref(a) for a in rest), text=" | ".join(type_text(a) for a in rest)
                )
                return TypeRef(kind="optional", args=(inner,), text=text)
            return TypeRef(kind="union", args=tuple(self.ref(a) for a in args), text=text)
        if origin is Literal:
            values = list(args)
            values_json = _json_or_none(values) if all(
                value is None or type(value) in (str, int, bool) for value in values) else None
            return TypeRef(kind="literal", text=text, enum_values_json=values_json)
        container = self._CONTAINERS.get(origin if origin is not None else annotation)
        if container is not None:
            form = self._FORMS.get(origin if origin is not None else annotation, "")
            if container == "tuple":
                if len(args) == 2 and args[1] is Ellipsis:
                    args = args[:1]
                elif origin is not None:  # tuple[X], tuple[X, Y], tuple[()]: a fixed length
                    form = "fixed"
            return TypeRef(kind=container, args=tuple(self.ref(a) for a in args), text=text, form=form)
        if self._URL_BASES and _lenient_issubclass(annotation, self._URL_BASES):
            return TypeRef(kind="url", text=text)
        if _lenient_issubclass(annotation, BaseModel):
            key = _qualified(annotation)
            if key not in self.models:
                self.models[key] = annotation
                for field in annotation.model_fields.values():
                    self.ref(field.annotation)
            return TypeRef(kind="model", model=key, text=text)
        if _lenient_issubclass(annotation, Enum):
            values = [member.value for member in annotation]
            values_json = _json_or_none(values) if all(
                type(value) in (str, int) for value in values) else None
            return TypeRef(kind="enum", text=text, enum_key=_qualified(annotation), enum_values_json=values_json)
        return TypeRef(kind="other", text=text)


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def type_text(annotation: Any) -> str:
    """A readable, process-independent rendering of an annotation."""
    if annotation is None or annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if annotation is Any:
        return "Any"
    origin = get_origin(annotation)
    if origin is Annotated:
        return type_text(get_args(annotation)[0])
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(annotation)) + "]"
    if origin in _UNION_ORIGINS:
        return " | ".join(type_text(a) for a in get_args(annotation))
    if origin is not None:
        name = getattr(origin, "__qualname__", None) or _ADDRESS.sub("", repr(origin))
        args = get_args(annotation)
        return f"{name}[{', '.join(type_text(a) for a in args)}]" if args else name
    if isinstance(annotation, type):
        return annotation.__qualname__
    return _ADDRESS.sub("", repr(annotation)).replace("typing.", "")
