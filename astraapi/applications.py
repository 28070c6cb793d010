"""The application object: route declarations plus app-level settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

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
        self.router = APIRouter(default_response_class=default_response_class, redirect_slashes=redirect_slashes)

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
    ) -> None:
        self.router.include_router(router, prefix=prefix, tags=tags, include_in_schema=include_in_schema)

    def run(self, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, mode: str = "dynamic",
            build_dir: str | None = None, **options: Any) -> None:
        """Serve the app: in dynamic mode (no compiler needed), or with mode="compiled" from the
        build that `astraapi build` made (default folder: .astraapi/build).

        `options` are the server's limits and behaviour (astraapi.server.config.ServerConfig):
        max_header_size, max_header_count, max_body_size, header_timeout, body_timeout,
        keep_alive_timeout, max_connections, graceful_timeout, access_log, proxy_headers,
        forwarded_allow_ips."""
        from pathlib import Path

        from astraapi.server.serve import run

        run(self, host=host, port=port, workers=workers, mode=mode,
            build_dir=Path(build_dir) if build_dir else None, **options)


FastAPI = AstraAPI
