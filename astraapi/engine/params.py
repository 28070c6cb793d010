"""Per-route parameter plans: where each value comes from and how it is validated.

Plans are built once per route from the IR (location, alias, required, default, embed)
and the live TypeAdapters introspection built. Per request, `RequestInputs` parses only
what the route reads (query string, cookies) and each plan pulls its raw value and
validates it, appending FastAPI-shaped errors.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from astraapi.ir.nodes import ParamIR
from astraapi.datastructures import parse_cookie_header
from astraapi.engine.body import MISSING
from astraapi.engine.errors import located_errors, missing_error

_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)

PATH_CONVERTORS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "path": str,
    "int": int,
    "float": float,
    "uuid": uuid.UUID,
}


@functools.lru_cache(maxsize=1024)
def _path_convertors(route_path: str) -> tuple[Callable[[str], Any], ...]:
    from astraapi.introspection.annotations import path_param_names

    return tuple(PATH_CONVERTORS.get(convertor, str) for _, convertor in path_param_names(route_path))


def request_path_params(route_path: str, names: tuple[str, ...], values: tuple[str, ...]) -> dict[str, Any]:
    """`request.path_params` as Starlette gives them: each value through its path convertor (`{id:int}`
    gives an int). The router matched the value with the convertor's pattern, so it converts."""
    convertors = _path_convertors(route_path)
    if len(convertors) != len(names):  # a mount's names: as matched
        return dict(zip(names, values))
    return {name: convert(value) for name, convert, value in zip(names, convertors, values)}


def path_plan(path_names: tuple[str, ...], convertors: dict[str, str], plan: ParamPlan,
              key: str) -> tuple[int, Callable[[str], Any], ParamPlan]:
    """(position among the path's values, its convertor, plan); position -1 when the route's path has no
    `{key}`: FastAPI reads path parameters by key only, so the value is missing (a 422)."""
    if key not in path_names:
        return -1, str, plan
    return path_names.index(key), PATH_CONVERTORS.get(convertors[key], str), plan


class RequestInputs:
    """The parts of one request parameters read, parsed on first use."""

    __slots__ = ("native", "_query", "_query_items", "_cookies")

    def __init__(self, native: Any) -> None:
        self.native = native
        self._query: dict[str, str] | None = None
        self._query_items: list[tuple[str, str]] | None = None
        self._cookies: dict[str, str] | None = None

    def query_items(self) -> list[tuple[str, str]]:
        if self._query_items is None:
            raw = self.native.query_string
            self._query_items = parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []
        return self._query_items

    def query(self) -> dict[str, str]:
        if self._query is None:
            self._query = dict(self.query_items())
        return self._query

    def header(self, name: bytes) -> str | None:
        for key, value in self.native.headers:
            if key == name:
                return value.decode("latin-1")
        return None

    def header_list(self, name: bytes) -> list[str]:
        return [value.decode("latin-1") for key, value in self.native.headers if key == name]

    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            header = self.header(b"cookie")
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies


class ParamPlan:
    """Validates one parameter; `read` pulls its raw value (or MISSING) from the request."""

    __slots__ = (
        "name", "loc", "required", "default", "default_factory", "copy_default", "validate_default", "validate", "read",
        "is_sequence", "body_keys",
    )

    def __init__(self, param: ParamIR, adapter: TypeAdapter[Any], field_info: FieldInfo, loc: tuple[Any, ...],
                 group: Any = None) -> None:
        self.name = param.name
        self.loc = loc
        self.required = param.required
        self.default_factory = None if param.required else field_info.default_factory
        self.default = MISSING if param.required or self.default_factory else field_info.default
        self.copy_default = not isinstance(self.default, _IMMUTABLE)
        self.validate_default = bool(field_info.validate_default)
        self.validate = adapter.validate_python
        self.read: Callable[[RequestInputs], Any] = _reader(param)
        self.is_sequence = param.is_sequence
        # body parameters read from the body object: the keys to try, in order (AliasChoices), else the alias
        self.body_keys = param.alias_choices or (param.alias,)
        if param.alias_choices:  # AliasChoices: the first key present (errors name it), else the first
            self.read = _choices_reader(param)
        if group is not None:  # a parameter model: errors are located under the location alone
            self.loc = (param.location,)
            self.read = _group_reader(param.location, group)

    def default_value(self) -> Any:
        """A fresh default, as FastAPI gives it (a deep copy, or the factory's result)."""
        if self.default_factory is not None:
            return copy.deepcopy(self.default_factory())
        return copy.deepcopy(self.default) if self.copy_default else self.default

    def apply(self, raw: Any, values: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        if raw is MISSING:
            if self.required:
                errors.append(missing_error(self.loc))
                return
            value = self.default_value()
            if not self.validate_default:
                values[self.name] = value
                return
            raw = value
        loc = self.loc
        if isinstance(raw, ChosenValue):
            raw, loc = raw.value, (loc[0], raw.key)
        try:
            values[self.name] = self.validate(raw, from_attributes=True)
        except ValidationError as error:
            located = located_errors(error, loc)
            if isinstance(raw, GroupValues) and raw.renamed:
                _rename_locations(located, raw.renamed)
            errors.extend(located)


def _reader(param: ParamIR) -> Callable[[RequestInputs], Any]:
    alias = param.alias
    location = param.location
    if location == "query":
        if param.is_sequence:
            def read_query_list(inputs: RequestInputs) -> Any:
                values = [v for k, v in inputs.query_items() if k == alias]
                return values if values else MISSING
            return read_query_list

        def read_query(inputs: RequestInputs) -> Any:
            return inputs.query().get(alias, MISSING)
        return read_query
    if location == "header":
        name = alias.lower().encode("latin-1")
        if param.is_sequence:
            def read_header_list(inputs: RequestInputs) -> Any:
                values = inputs.header_list(name)
                return values if values else MISSING
            return read_header_list

        def read_header(inputs: RequestInputs) -> Any:
            value = inputs.header(name)
            return MISSING if value is None else value
        return read_header
    if location == "cookie":
        def read_cookie(inputs: RequestInputs) -> Any:
            return inputs.cookies().get(alias, MISSING)
        return read_cookie
    # path and body values are handed to the plan by the executor
    def read_nothing(inputs: RequestInputs) -> Any:
        return MISSING
    return read_nothing


class ChosenValue:
    """A value read under one of a parameter's AliasChoices: errors are located under that key."""

    __slots__ = ("value", "key")

    def __init__(self, value: Any, key: str) -> None:
        self.value, self.key = value, key


def _choices_reader(param: ParamIR) -> Callable[[RequestInputs], Any]:
    readers = [(choice, _reader(dataclasses.replace(param, alias=choice, alias_choices=())))
               for choice in param.alias_choices]

    def read_choices(inputs: RequestInputs) -> Any:
        for choice, read in readers:
            value = read(inputs)
            if value is not MISSING:
                return ChosenValue(value, choice)
        return MISSING

    return read_choices


class GroupValues(dict):
    """What a parameter model validates: its fields' values under their keys, plus the location's other
    keys; `renamed` maps a field's name to the header it was read from (for error locations)."""

    renamed: dict[str, str] | None = None


def _rename_locations(errors: list[dict[str, Any]], renamed: dict[str, str]) -> None:
    for error in errors:
        loc = error["loc"]
        if len(loc) > 1 and loc[1] in renamed:
            error["loc"] = (loc[0], renamed[loc[1]], *loc[2:])


def _group_reader(location: str, group: Any) -> Callable[[RequestInputs], Any]:
    """FastAPI's reading of a parameter model: each field from its first alias present (every
    occurrence for a sequence field), then the location's remaining keys for the model's `extra`
    policy. A `Model | None` parameter is absent unless one of its keys is there (or, with extra
    allow/forbid, any key)."""
    fields = group.fields
    is_header = location == "header"
    rename = is_header and group.loc_by_alias

    def read_group(inputs: RequestInputs) -> Any:
        if location == "query":
            items = inputs.query_items()
            present: Any = inputs.query()
        elif is_header:
            items = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in inputs.native.headers]
            present = {k for k, _ in items}
        else:
            present = inputs.cookies()
            items = list(present.items())
        values = GroupValues()
        processed: set[str] = set()
        own: set[str] = set()
        renamed: dict[str, str] = {}
        for field in fields:
            aliases = field.aliases
            if is_header:
                own.update(request_key.lower() for _, request_key in aliases)
                alias, key = next((pair for pair in aliases if pair[1].lower() in present), aliases[0])
                lookup = key.lower()
            else:
                own.update(request_key for _, request_key in aliases)
                alias, key = next((pair for pair in aliases if pair[1] in present), aliases[0])
                lookup = key
            if field.is_sequence and location != "cookie":
                value: Any = [v for k, v in items if k == lookup]
                if value:
                    values[alias] = value
            elif is_header:
                value = next((v for k, v in items if k == lookup), None)
                if value is not None:
                    values[alias] = value
            else:
                value = present.get(lookup)
                if value is not None:
                    values[alias] = value
            processed.add(lookup)
            if is_header:
                for validation_alias, request_key in aliases:
                    if validation_alias != request_key:
                        processed.add(validation_alias.lower())  # an unconverted name is no extra header
                if alias != key:
                    renamed[field.name] = key
        grouped: dict[str, list[str]] = {}
        for k, v in items:
            if k not in processed:
                grouped.setdefault(k, []).append(v)
        for k, vs in grouped.items():
            values[k] = vs[0] if len(vs) == 1 else vs
        if group.optional and not (own.intersection(present) or (group.extra_policy and values)):
            return MISSING
        if rename and renamed:
            values.renamed = renamed
        return values

    return read_group


def apply_json_body(body: Any, plans: tuple[ParamPlan, ...], embedded: bool,
                    values: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    """Validate the body parameters against the parsed JSON body (MISSING when absent), as
    FastAPI does: the whole body for a single parameter, else each under its alias (or the
    first of its AliasChoices keys the body has: a null value counts as present)."""
    if not embedded:
        plans[0].apply(body, values, errors)
        return
    readable = body is not MISSING and not isinstance(body, bytes)
    for plan in plans:
        raw = MISSING
        if readable:
            if not isinstance(body, dict):  # the body is not an object
                errors.append(missing_error(plan.loc))
                continue
            keys = plan.body_keys
            if len(keys) == 1:
                raw = body.get(keys[0], MISSING)
            else:
                for key in keys:
                    if key in body:
                        raw = ChosenValue(body[key], key)
                        break
        plan.apply(raw, values, errors)
