"""The application object: route declarations plus app-level settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from astraapi.datastructures import State
from astraapi.routing import APIRoute, APIRouter, Default, DecoratedCallable, declaration_site


class AstraAPI:
    """A FastAPI-compatible application. `FastAPI` is an alias of this class."""

    def __init__(
        self,
        *,
        debug: bool = False,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        default_response_class: Any = Default,
        redirect_slashes: bool = True,
        root_path: str = "",
        dependencies: Sequence[Any] | None = None,
        exception_handlers: dict[Any, Callable[..., Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Callable[[Any], Any] | None = None,
    ) -> None:
        self.debug = debug
        self.title = title
        self.summary = summary
        self.description = description
        self.version = version
        self.openapi_url = openapi_url
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.root_path = root_path
        self.router = APIRouter(default_response_class=default_response_class, redirect_slashes=redirect_slashes,
                                dependencies=dependencies, on_startup=on_startup, on_shutdown=on_shutdown,
                                lifespan=lifespan)
        self.router._app = self
        self.state = State()
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.exception_handlers: dict[Any, Callable[..., Any]] = dict(exception_handlers or {})
        from astraapi.exception_handlers import http_exception_handler, request_validation_exception_handler
        from astraapi.exceptions import RequestValidationError, StarletteHTTPException

        self.exception_handlers.setdefault(StarletteHTTPException, http_exception_handler)
        self.exception_handlers.setdefault(RequestValidationError, request_validation_exception_handler)

    @property
    def routes(self) -> list[APIRoute]:
        return self.router.routes

    @property
    def redirect_slashes(self) -> bool:
        return self.router.redirect_slashes

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        options.setdefault("_site", declaration_site())
        self.router.add_api_route(path, endpoint, **options)

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.api_route(path, methods=methods, **options)

    def get(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.get(path, **options)

    def put(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.put(path, **options)

    def post(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.post(path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.delete(path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.patch(path, **options)

    def options(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.options(path, **options)

    def head(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.head(path, **options)

    def trace(self, path: str, **options: Any) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.trace(path, **options)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        include_in_schema: bool = True,
        dependencies: Sequence[Any] | None = None,
    ) -> None:
        self.router.include_router(router, prefix=prefix, tags=tags, include_in_schema=include_in_schema,
                                   dependencies=dependencies)

    # ------------------------------------------------------------------ exception handlers, events

    def add_exception_handler(self, exc_class_or_status_code: int | type[Exception],
                              handler: Callable[..., Any]) -> None:
        self.exception_handlers[exc_class_or_status_code] = handler

    def exception_handler(self, exc_class_or_status_code: int | type[Exception]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func
        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        self.router.add_event_handler(event_type, func)

    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Deprecated in FastAPI in favour of `lifespan`, still supported."""
        return self.router.on_event(event_type, _stacklevel=3)

    def run(self, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, mode: str = "dynamic",
            build_dir: str | None = None) -> None:
        """Serve the app: in dynamic mode (no compiler needed), or with mode="compiled" from the
        build that `astraapi build` made (default folder: .astraapi/build)."""
        from pathlib import Path

        from astraapi.server.serve import run

        run(self, host=host, port=port, workers=workers, mode=mode,
            build_dir=Path(build_dir) if build_dir else None)


FastAPI = AstraAPI
