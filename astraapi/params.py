"""Parameter markers: where a value comes from (path, query, header, cookie, body).

Each marker is a pydantic `FieldInfo`, so constraints (`ge`, `max_length`, `pattern`, ...),
aliases and defaults are pydantic's own and validation applies them unchanged. Markers
work both as a default value (`q: int = Query(ge=1)`) and inside `Annotated`
(`q: Annotated[int, Query(ge=1)] = 5`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Literal

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from astraapi.exceptions import FastAPIDeprecationWarning as FastAPIDeprecationWarning
from astraapi.exceptions import InvalidDeclarationError


def __getattr__(name: str) -> Any:
    """`Example` (FastAPI exports it here) is the OpenAPI model, imported on first use."""
    if name == "Example":
        from astraapi.openapi.models import Example

        return Example
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_Unset: Any = PydanticUndefined

# pydantic Field keywords a marker passes through to FieldInfo when given.
_FIELD_KEYWORDS = (
    "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias",
    "title", "description", "gt", "ge", "lt", "le", "min_length", "max_length", "pattern",
    "discriminator", "strict", "validate_default", "union_mode", "fail_fast", "multiple_of",
    "allow_inf_nan", "max_digits", "decimal_places", "examples", "deprecated",
    "json_schema_extra",
)


class ParamTypes(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


# Keywords whose default is "unset" (as FastAPI's markers declare them): an explicit None is kept, so it
# overrides a `Field()` beside the marker in `Annotated` (`Query(alias=None)` clears the Field's alias).
_UNSET_DEFAULT_KEYWORDS = frozenset((
    "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias", "title",
    "description", "discriminator", "strict", "validate_default", "union_mode", "fail_fast", "multiple_of",
    "allow_inf_nan", "max_digits", "decimal_places", "examples", "deprecated", "json_schema_extra",
))


def _field_kwargs(default: Any, options: dict[str, Any], example: Any) -> dict[str, Any]:
    """The FieldInfo keywords of a marker, as FastAPI's markers pass them: `validation_alias` and
    `serialization_alias` default to `alias`; `regex=` and `example=` warn (FastAPIDeprecationWarning,
    pointing at the user's call)."""
    if example is not _Unset:
        _deprecated("`example` has been deprecated, please use `examples` instead")
    regex = options.pop("regex", None)
    if regex is not None:
        _deprecated("`regex` has been deprecated, please use `pattern` instead")
        if options.get("pattern") is None:
            options["pattern"] = regex
    unknown = set(options) - set(_FIELD_KEYWORDS)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    alias = options.get("alias", _Unset)
    if options.get("validation_alias", _Unset) in (_Unset, None) and alias is not _Unset:
        options["validation_alias"] = alias
    if options.get("serialization_alias", _Unset) in (_Unset, None) and isinstance(alias, str):
        options["serialization_alias"] = alias
    kwargs = {k: v for k, v in options.items()
              if v is not _Unset and (v is not None or k in _UNSET_DEFAULT_KEYWORDS)}
    kwargs["default"] = default
    return kwargs


def _deprecated(message: str) -> None:
    import sys
    import warnings

    # Point at the user's line: the first frame outside astraapi's marker modules.
    depth = 2
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in ("astraapi.params", "astraapi.param_functions"):
        frame = frame.f_back
        depth += 1
    warnings.warn(message, category=FastAPIDeprecationWarning, stacklevel=depth)


class Param(FieldInfo):
    """A request parameter read from the path, query string, headers or cookies."""

    in_: ParamTypes

    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        annotation: Any = None,
        example: Any = _Unset,
        openapi_examples: dict[str, Any] | None = None,
        include_in_schema: bool = True,
        **options: Any,
    ) -> None:
        self.example = example
        self.openapi_examples = openapi_examples
        self.include_in_schema = include_in_schema
        kwargs = _field_kwargs(default, options, example)
        if annotation is not None:
            kwargs["annotation"] = annotation
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Path(Param):
    in_ = ParamTypes.path

    def __init__(self, default: Any = ..., **options: Any) -> None:
        if default is not ...:  # an AssertionError, as FastAPI's (code catching it keeps working)
            raise InvalidDeclarationError("Path parameters cannot have a default value")
        super().__init__(default, **options)


class Query(Param):
    in_ = ParamTypes.query


class Header(Param):
    in_ = ParamTypes.header

    def __init__(self, default: Any = PydanticUndefined, *, convert_underscores: bool = True, **options: Any) -> None:
        self.convert_underscores = convert_underscores
        super().__init__(default, **options)


class Cookie(Param):
    in_ = ParamTypes.cookie


class Body(FieldInfo):
    """The request body, or (with `embed=True` or several body parameters) one key of it."""

    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        annotation: Any = None,
        embed: bool | None = None,
        media_type: str = "application/json",
        example: Any = _Unset,
        openapi_examples: dict[str, Any] | None = None,
        include_in_schema: bool = True,
        **options: Any,
    ) -> None:
        self.embed = embed
        self.media_type = media_type
        self.example = example
        self.openapi_examples = openapi_examples
        self.include_in_schema = include_in_schema
        kwargs = _field_kwargs(default, options, example)
        if annotation is not None:
            kwargs["annotation"] = annotation
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Form(Body):
    """A field of a form body (`application/x-www-form-urlencoded`, or `multipart/form-data` text fields)."""

    def __init__(self, default: Any = PydanticUndefined, *, media_type: str = "application/x-www-form-urlencoded",
                 **options: Any) -> None:
        super().__init__(default, media_type=media_type, **options)


class File(Form):
    """A file part of a `multipart/form-data` body (UploadFile, or its content as bytes)."""

    def __init__(self, default: Any = PydanticUndefined, *, media_type: str = "multipart/form-data",
                 **options: Any) -> None:
        super().__init__(default, media_type=media_type, **options)


class _Statistics:
    __slots__ = ("tasks_waiting",)

    def __init__(self, tasks_waiting: int) -> None:
        self.tasks_waiting = tasks_waiting


def _semaphore_class() -> Any:
    import asyncio

    class Semaphore(asyncio.Semaphore):
        """asyncio's semaphore, with anyio's read-outs (`value`, `statistics().tasks_waiting`), which
        FastAPI's `Depends(max_concurrency=)` limiter is."""

        @property
        def value(self) -> int:
            return self._value  # type: ignore[attr-defined]

        def statistics(self) -> _Statistics:
            waiters = self._waiters or ()  # type: ignore[attr-defined]
            return _Statistics(sum(1 for waiter in waiters if not waiter.done()))

    return Semaphore


def _Semaphore(value: int) -> Any:  # noqa: N802
    global _SEMAPHORE
    if _SEMAPHORE is None:
        _SEMAPHORE = _semaphore_class()
    return _SEMAPHORE(value)


_SEMAPHORE: Any = None
_RUN_SEMAPHORES: Any = None


def _anyio_semaphore(concurrency: _Concurrency) -> Any:
    """The declaration's semaphore for the running anyio event loop (kept while the declaration lives)."""
    global _RUN_SEMAPHORES
    import weakref

    import anyio
    from anyio.lowlevel import RunVar

    if _RUN_SEMAPHORES is None:
        _RUN_SEMAPHORES = RunVar("astraapi_dependency_semaphores")
    semaphores = _RUN_SEMAPHORES.get(None)
    if semaphores is None:
        semaphores = weakref.WeakKeyDictionary()
        _RUN_SEMAPHORES.set(semaphores)
    semaphore = semaphores.get(concurrency)
    if semaphore is None:
        semaphore = semaphores[concurrency] = anyio.Semaphore(concurrency.max_concurrency)
    return semaphore


class _Concurrency:
    """The limit one `Depends(..., max_concurrency=N)` declaration puts on its calls, per event loop."""

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self._semaphores: dict[int, Any] = {}

    def semaphore(self) -> Any:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # trio, through anyio: anyio's semaphore, one per run
            return _anyio_semaphore(self)
        entry = self._semaphores.get(id(loop))
        if entry is None or entry[0] is not loop:
            entry = (loop, _Semaphore(self.max_concurrency))
            self._semaphores = {k: v for k, v in self._semaphores.items() if not v[0].is_closed()}
            self._semaphores[id(loop)] = entry
        return entry[1]

    get_semaphore = semaphore  # FastAPI's name (fastapi.concurrency._DependencyConcurrency)


# Set once any `Depends(scope="function")` exists: only then can a route declaration break the scope
# rule (checked when the route is declared, as FastAPI does, without analysing every route then).
FUNCTION_SCOPE_DECLARED = False


@dataclass(frozen=True, repr=False)
class Depends:
    """A dependency: `dependency` is called per request (once, unless `use_cache=False`) and its
    result is passed in. `scope` ("function" or "request") says when a `yield` dependency's exit
    code runs: before the response is sent, or after (the default).

    A frozen dataclass, as FastAPI's: hashable and comparable by value (tools key caches on it),
    `dataclasses.replace` makes a copy. `_concurrency` is the declaration's own limiter: a copy
    keeps it when the limit is the same (the two then share capacity), gets a new one otherwise."""

    dependency: Any = None
    use_cache: bool = True
    scope: Literal["function", "request"] | None = None
    max_concurrency: int | None = field(default=None, kw_only=True)
    _concurrency: _Concurrency | None = field(default=None, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.scope not in (None, "function", "request"):
            raise ValueError('scope must be "function", "request" or None')
        if self.scope == "function":
            global FUNCTION_SCOPE_DECLARED
            FUNCTION_SCOPE_DECLARED = True
        limit = self.max_concurrency
        if limit is None:
            object.__setattr__(self, "_concurrency", None)
            return
        if type(limit) is not int or limit < 1:
            raise ValueError("max_concurrency must be a positive integer or None")
        if self._concurrency is None or self._concurrency.max_concurrency != limit:
            object.__setattr__(self, "_concurrency", _Concurrency(limit))

    def _with_dependency(self, dependency: Any) -> Depends:
        return replace(self, dependency=dependency)

    def __repr__(self) -> str:
        attr = getattr(self.dependency, "__name__", type(self.dependency).__name__)
        cache = "" if self.use_cache else ", use_cache=False"
        return f"{type(self).__name__}({attr}{cache})"


@dataclass(frozen=True, repr=False)
class Security(Depends):
    """A dependency that is also a security requirement, with the OAuth2 `scopes` it needs."""

    scopes: Sequence[str] | None = None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(("Example",)))
