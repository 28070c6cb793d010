"""`jsonable_encoder`: turn a value into data `json.dumps` accepts, by FastAPI's rules.

Pydantic models dump in JSON mode (by alias), dataclasses go through `asdict`, enums give
their value, dates and times their ISO form, UUIDs and paths their string, Decimals an
int when they have no fractional exponent and a float otherwise, sets/tuples/generators
become lists, bytes are decoded, and dict keys starting with `_sa` are dropped (SQLAlchemy
internals). Anything else is tried as `dict(obj)`, then `vars(obj)`.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from pathlib import PurePath
from re import Pattern
from types import GeneratorType
from typing import Any
from uuid import UUID

from pydantic import AnyUrl, BaseModel, NameEmail, SecretBytes, SecretStr
from pydantic_core import PydanticUndefinedType, Url


def _decimal_to_number(value: Decimal) -> int | float:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def _iso(value: datetime.date | datetime.time) -> str:
    return value.isoformat()


_BY_EXACT_TYPE: dict[type, Callable[[Any], Any]] = {
    bytes: lambda b: b.decode(),
    datetime.date: _iso,
    datetime.datetime: _iso,
    datetime.time: _iso,
    datetime.timedelta: lambda td: td.total_seconds(),
    Decimal: _decimal_to_number,
    frozenset: list,
    deque: list,
    GeneratorType: list,
    IPv4Address: str,
    IPv4Interface: str,
    IPv4Network: str,
    IPv6Address: str,
    IPv6Interface: str,
    IPv6Network: str,
    NameEmail: str,
    SecretBytes: str,
    SecretStr: str,
    set: list,
    UUID: str,
    Url: str,
    AnyUrl: str,
    Pattern: lambda p: p.pattern,
}

# Checked in this order with isinstance() for subclasses of the types above.
_BY_BASE_TYPE: tuple[tuple[tuple[type, ...], Callable[[Any], Any]], ...] = (
    ((bytes,), lambda b: b.decode()),
    ((datetime.date, datetime.time), _iso),
    ((datetime.timedelta,), lambda td: td.total_seconds()),
    ((Decimal,), _decimal_to_number),
    ((frozenset, deque, GeneratorType, set), list),
    (
        (
            IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network,
            NameEmail, SecretBytes, SecretStr, UUID, Url, AnyUrl,
        ),
        str,
    ),
    ((Pattern,), lambda p: p.pattern),
)


def jsonable_encoder(
    obj: Any,
    include: Any = None,
    exclude: Any = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    if custom_encoder:
        encoder = custom_encoder.get(type(obj))
        if encoder is not None:
            return encoder(obj)
        for encoder_type, encoder in custom_encoder.items():
            if isinstance(obj, encoder_type):
                return encoder(obj)
    if include is not None and not isinstance(include, (set, dict)):
        include = set(include)
    if exclude is not None and not isinstance(exclude, (set, dict)):
        exclude = set(exclude)

    nested = {
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
        "custom_encoder": custom_encoder,
        "sqlalchemy_safe": sqlalchemy_safe,
    }
    if isinstance(obj, BaseModel):
        dumped = obj.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
        )
        return jsonable_encoder(
            dumped, exclude_none=exclude_none, exclude_defaults=exclude_defaults, sqlalchemy_safe=sqlalchemy_safe
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable_encoder(dataclasses.asdict(obj), include=include, exclude=exclude, **nested)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, (str, int, float, type(None))):
        return obj
    if isinstance(obj, PydanticUndefinedType):
        return None
    if isinstance(obj, dict):
        allowed = set(obj.keys())
        if include is not None:
            allowed &= set(include)
        if exclude is not None:
            allowed -= set(exclude)
        encoded = {}
        for key, value in obj.items():
            if sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"):
                continue
            if value is None and exclude_none:
                continue
            if key not in allowed:
                continue
            encoded[jsonable_encoder(key, **nested)] = jsonable_encoder(value, **nested)
        return encoded
    if isinstance(obj, (list, set, frozenset, GeneratorType, tuple, deque)):
        return [jsonable_encoder(item, include=include, exclude=exclude, **nested) for item in obj]

    encoder = _BY_EXACT_TYPE.get(type(obj))
    if encoder is not None:
        return encoder(obj)
    for bases, encoder in _BY_BASE_TYPE:
        if isinstance(obj, bases):
            return encoder(obj)
    if _is_color(obj):
        return str(obj)
    if is_pydantic_v1_model_instance(obj):
        raise PydanticV1NotSupportedError(
            "pydantic.v1 models are no longer supported by FastAPI."
            f" Please update the model {obj!r}."
        )

    try:
        data = dict(obj)
    except Exception as dict_error:
        try:
            data = vars(obj)
        except Exception as vars_error:
            raise ValueError([dict_error, vars_error]) from vars_error
    return jsonable_encoder(data, include=include, exclude=exclude, **nested)


# FastAPI's names for the encoder tables and helpers.
decimal_encoder = _decimal_to_number
isoformat = _iso
ENCODERS_BY_TYPE: dict[type, Callable[[Any], Any]] = _BY_EXACT_TYPE


def generate_encoders_by_class_tuples(
    type_encoder_map: dict[Any, Callable[[Any], Any]],
) -> dict[Callable[[Any], Any], tuple[Any, ...]]:
    """{encoder: the classes it encodes}, from {class: encoder}."""
    from collections import defaultdict

    by_encoder: dict[Callable[[Any], Any], tuple[Any, ...]] = defaultdict(tuple)
    for type_, encoder in type_encoder_map.items():
        by_encoder[encoder] += (type_,)
    return dict(by_encoder)


encoders_by_class_tuples = generate_encoders_by_class_tuples(ENCODERS_BY_TYPE)


def is_pydantic_v1_model_instance(obj: Any) -> bool:
    """True for an instance of a `pydantic.v1` model (which AstraAPI does not support). Such an
    instance exists only once its module is imported, so the module is not imported here."""
    v1 = sys.modules.get("pydantic.v1")
    base = getattr(v1, "BaseModel", None)
    return base is not None and isinstance(obj, base)


_COLOR_MODULES = ("pydantic.color", "pydantic_extra_types.color")


def _is_color(obj: Any) -> bool:
    """pydantic's (deprecated) and pydantic-extra-types' Color, encoded as their text, as FastAPI does;
    looked up among the loaded modules (an instance exists only once its module is)."""
    for name in _COLOR_MODULES:
        color = getattr(sys.modules.get(name), "Color", None)
        if color is not None and isinstance(obj, color):
            return True
    return False


from astraapi.exceptions import PydanticV1NotSupportedError as PydanticV1NotSupportedError  # noqa: E402
