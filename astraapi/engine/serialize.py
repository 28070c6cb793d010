"""Turning an endpoint's return value into a response tuple, as FastAPI 0.165 does.

- A `Response` instance is sent as it is.
- With a response model and the default response class: validate the value with the
  model's TypeAdapter (failure: ResponseValidationError, a 500), then write pydantic's
  `dump_json` bytes, or the route's compiled serializer's bytes when it has one and it
  accepts the value.
- With a response model and a chosen response class: validate, `dump_python(mode="json")`,
  then render with that class.
- Without a response model: `jsonable_encoder`, then JSONResponse rendering (the native
  `dumps` when available, byte-identical to it) or the chosen class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from astraapi import _starlette_compat as starlette_compat
from astraapi.introspection.incex import incex_from_json
from astraapi.ir.nodes import RouteIR
from astraapi.encoders import jsonable_encoder
from astraapi.engine.errors import located_errors
from astraapi.engine.streaming import Stream, is_streamed
from astraapi.engine.responses import ResponseTuple, body_allowed, from_response, json_tuple, render_json
from astraapi.exceptions import ResponseValidationError
from astraapi.responses import Response

Dumps = Callable[[Any], bytes]
CompiledSerializer = Callable[[object], "bytes | None"]


def make_default_dumps(native_dumps: Dumps | None) -> Dumps:
    """JSONResponse rendering of `jsonable_encoder(value)`, through the native writer when present."""
    if native_dumps is None:
        def dumps(value: Any) -> bytes:
            return render_json(jsonable_encoder(value))
        return dumps

    def dumps_native(value: Any) -> bytes:
        try:
            return native_dumps(value, jsonable=True)  # plain JSON data needs no encoding step
        except TypeError:
            pass  # a type the writer does not take: encode it first, as FastAPI always does
        encoded = jsonable_encoder(value)
        try:
            return native_dumps(encoded)
        except TypeError:
            return render_json(encoded)  # e.g. non-str dict keys, which json.dumps converts
    return dumps_native


class ResponsePlan:
    """How one route renders its endpoint's return value."""

    __slots__ = ("status_code", "adapter", "response_class", "use_dump_json", "dump_options", "compiled",
                 "default_dumps", "endpoint_ctx", "compiled_encoder")

    def __init__(
        self,
        route: RouteIR,
        adapter: TypeAdapter[Any] | None,
        response_class: type[Response] | None,
        compiled: CompiledSerializer | None,
        default_dumps: Dumps,
        endpoint_ctx: dict[str, Any],
    ) -> None:
        self.status_code = route.status_code
        self.adapter = adapter
        self.response_class = response_class  # None: the default (JSON) class
        self.use_dump_json = adapter is not None and response_class is None
        self.dump_options = {
            "by_alias": route.response_model_by_alias,
            "exclude_unset": route.response_model_exclude_unset,
            "exclude_defaults": route.response_model_exclude_defaults,
            "exclude_none": route.response_model_exclude_none,
        }
        # response_model_include / _exclude: given to pydantic only when declared (as FastAPI does).
        if route.response_model_include_json is not None:
            self.dump_options["include"] = incex_from_json(route.response_model_include_json)
        if route.response_model_exclude_json is not None:
            self.dump_options["exclude"] = incex_from_json(route.response_model_exclude_json)
        self.compiled = compiled
        self.default_dumps = default_dumps
        self.endpoint_ctx = endpoint_ctx
        # Compiled mode: validates plain data and writes it in one pass, or declines (None).
        self.compiled_encoder: CompiledSerializer | None = None

    def render(self, raw: Any, status: int | None = None) -> ResponseTuple:
        """`status`: the status a `response: Response` parameter set, which overrides the route's."""
        if isinstance(raw, Response):
            return from_response(raw)
        status = status or self.status_code
        adapter = self.adapter
        if adapter is None:
            if self.response_class is None:
                return json_tuple(status or 200, self.default_dumps(raw))
            return self._with_class(jsonable_encoder(raw), status)
        if self.compiled_encoder is not None and self.use_dump_json:
            body = self.compiled_encoder(raw)
            if body is not None:
                return json_tuple(status or 200, body)
        try:
            value = adapter.validate_python(raw, from_attributes=True)
        except ValidationError as error:
            raise ResponseValidationError(
                located_errors(error, ("response",)), body=raw, endpoint_ctx=self.endpoint_ctx
            ) from None
        if not self.use_dump_json:
            return self._with_class(adapter.dump_python(value, mode="json", **self.dump_options), status)
        body = None
        if self.compiled is not None:
            body = self.compiled(value)
        if body is None:
            body = adapter.dump_json(value, **self.dump_options)
        return json_tuple(status or 200, body)

    def _with_class(self, content: Any, status: int | None) -> ResponseTuple:
        assert self.response_class is not None
        if status is None:
            response = self.response_class(content)
        else:
            response = self.response_class(content, status_code=status)
        if isinstance(response, starlette_compat.FOREIGN_RESPONSES):  # a Starlette class as response_class
            response = starlette_compat.adopt_response(response)
        if is_streamed(response):
            return Stream(response, response.background)  # type: ignore[return-value]
        status, headers, body = from_response(response)
        if not body_allowed(status):
            body = b""
            headers = [(k, b"0") if k == b"content-length" else (k, v) for k, v in headers]
        return status, headers, body
