"""Routers and route records.

Decorators only record what the user declared (plus where: the decorator's file and line);
`astraapi.compiler.introspect` analyses the records later, all at once, and reports every
problem together.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeVar

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])


class _DefaultType:
    """Marks an argument the user did not pass (so "not given" differs from None)."""

    _instance: _DefaultType | None = None

    def __new__(cls) -> _DefaultType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Default"

    def __bool__(self) -> bool:
        return False


Default: Any = _DefaultType()

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def declaration_site() -> tuple[str, int]:
    """The file and line of the nearest caller outside the astraapi package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


@dataclass(frozen=True)
class APIRoute:
    """One declared route: what the decorator was given, nothing derived from the endpoint."""

    path: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...]
    name: str
    decl_file: str
    decl_line: int
    response_model: Any = Default
    status_code: int | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    response_description: str = "Successful Response"
    deprecated: bool | None = None
    operation_id: str | None = None
    response_class: Any = Default
    include_in_schema: bool = True
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    responses: dict[Any, Any] = field(default_factory=dict)
    openapi_extra: dict[str, Any] | None = None
    generate_unique_id_function: Any = Default  # Default: the app's (FastAPI's generate_unique_id)
    # Tags given as members of an Enum that is not a str Enum (FastAPI's documented `class Tags(Enum)`):
    # FastAPI's OpenAPI model rejects them, which changes how their operations are written.
    enum_tags: frozenset[str] = frozenset()

    @property
    def path_format(self) -> str:
        """The path with `{name:convertor}` shown as `{name}` (what OpenAPI and operation ids use)."""
        return _CONVERTOR.sub(r"{\1}", self.path)


_CONVERTOR = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}")


def _enum_tags(tags: Sequence[Any]) -> frozenset[str]:
    return frozenset(_tag_text(t) for t in tags if isinstance(t, Enum) and not isinstance(t, str))


def _tag_text(tag: str | Enum) -> str:
    return tag.value if isinstance(tag, Enum) else tag


def _methods(methods: Sequence[str] | None) -> tuple[str, ...]:
    if methods is None:
        return ("GET",)
    if isinstance(methods, str):
        raise TypeError("methods must be a list of method names, not a string")
    return tuple(dict.fromkeys(m.upper() for m in methods))


class APIRouter:
    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        default_response_class: Any = Default,
        include_in_schema: bool = True,
        redirect_slashes: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default,
    ) -> None:
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        self.prefix = prefix
        self.tags: list[str | Enum] = list(tags or [])
        self.default_response_class = default_response_class
        self.include_in_schema = include_in_schema
        self.redirect_slashes = redirect_slashes
        self.responses: dict[Any, Any] = dict(responses or {})
        self.deprecated = deprecated
        self.generate_unique_id_function = generate_unique_id_function
        self.routes: list[APIRoute] = []

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        response_model: Any = Default,
        status_code: int | None = None,
        tags: list[str | Enum] | None = None,
        summary: str | None = None,
        description: str | None = None,
        response_description: str = "Successful Response",
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        methods: Sequence[str] | None = None,
        operation_id: str | None = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
        include_in_schema: bool = True,
        response_class: Any = Default,
        name: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        generate_unique_id_function: Any = Default,
        _site: tuple[str, int] | None = None,
    ) -> None:
        decl_file, decl_line = _site or declaration_site()
        if response_class is Default:
            response_class = self.default_response_class
        if isinstance(status_code, int):
            status_code = int(status_code)  # http.HTTPStatus and other IntEnums
        self.routes.append(
            APIRoute(
                path=self.prefix + path,
                endpoint=endpoint,
                methods=_methods(methods),
                name=name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__),
                decl_file=decl_file,
                decl_line=decl_line,
                response_model=response_model,
                status_code=status_code,
                tags=tuple(_tag_text(t) for t in [*self.tags, *(tags or [])]),
                enum_tags=_enum_tags([*self.tags, *(tags or [])]),
                summary=summary,
                description=description,
                response_description=response_description,
                deprecated=deprecated or self.deprecated,
                operation_id=operation_id,
                response_class=response_class,
                include_in_schema=include_in_schema and self.include_in_schema,
                response_model_by_alias=response_model_by_alias,
                response_model_exclude_unset=response_model_exclude_unset,
                response_model_exclude_defaults=response_model_exclude_defaults,
                response_model_exclude_none=response_model_exclude_none,
                responses={**self.responses, **(responses or {})},
                openapi_extra=openapi_extra,
                generate_unique_id_function=generate_unique_id_function
                if generate_unique_id_function is not Default
                else self.generate_unique_id_function,
            )
        )

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        site = declaration_site()

        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_route(path, func, methods=methods, _site=site, **options)
            return func

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["GET"], **options)

    def put(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PUT"], **options)

    def post(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["POST"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["DELETE"], **options)

    def patch(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PATCH"], **options)

    def options(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["HEAD"], **options)

    def trace(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["TRACE"], **options)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        include_in_schema: bool = True,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        generate_unique_id_function: Any = Default,
    ) -> None:
        if prefix:
            if not prefix.startswith("/"):
                raise ValueError("A path prefix must start with '/'")
            if prefix.endswith("/"):
                raise ValueError("A path prefix must not end with '/', as the routes will start with '/'")
        extra_tags = tuple(_tag_text(t) for t in [*self.tags, *(tags or [])])  # the including router's first
        for route in router.routes:
            response_class = route.response_class
            if response_class is Default:
                response_class = self.default_response_class
            self.routes.append(
                replace(
                    route,
                    path=self.prefix + prefix + route.path,
                    tags=extra_tags + route.tags,
                    enum_tags=route.enum_tags | _enum_tags([*self.tags, *(tags or [])]),
                    response_class=response_class,
                    include_in_schema=route.include_in_schema and include_in_schema and self.include_in_schema,
                    responses={**self.responses, **(responses or {}), **route.responses},
                    deprecated=route.deprecated or deprecated or self.deprecated,
                    generate_unique_id_function=_first_given(
                        route.generate_unique_id_function, generate_unique_id_function,
                        self.generate_unique_id_function,
                    ),
                )
            )


def _first_given(*choices: Any) -> Any:
    for choice in choices:
        if choice is not Default:
            return choice
    return Default
