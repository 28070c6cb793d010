"""A router's lifespan: the default one (its on_startup/on_shutdown handlers), a generator function made a
context manager, and the merge of an included router's lifespan into its parent's."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astraapi.routing import APIRouter


class _DefaultLifespan:
    """Without a `lifespan`, the router's on_startup/on_shutdown handlers are the lifespan."""

    def __init__(self, router: APIRouter) -> None:
        self._router = router

    def __call__(self, app: Any) -> _DefaultLifespan:
        return self

    async def __aenter__(self) -> None:
        await self._router._startup()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._router._shutdown()


class _SyncLifespan:
    def __init__(self, manager: Any) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return self._manager.__enter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return self._manager.__exit__(*exc_info)


def _lifespan_context(router: APIRouter, lifespan: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if lifespan is None:
        return _DefaultLifespan(router)
    if inspect.isasyncgenfunction(lifespan):
        return contextlib.asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        manager = contextlib.contextmanager(lifespan)
        return lambda app: _SyncLifespan(manager(app))
    return lifespan


def _merge_lifespans(outer: Callable[[Any], Any], inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An included router's lifespan runs inside its parent's; their states are merged."""
    @contextlib.asynccontextmanager
    async def merged(app: Any) -> Any:
        async with outer(app) as outer_state:
            async with inner(app) as inner_state:
                if outer_state is None and inner_state is None:
                    yield None
                else:
                    yield {**(inner_state or {}), **(outer_state or {})}
    return merged



def _auto_telemetry(app: Any) -> bool:
    """`telemetry={"auto_configure": True}`, or FASTAPI_OTEL_AUTO_CONFIGURE=true without a setting."""
    settings = getattr(app, "_telemetry_settings", None)
    if settings is not None:
        return bool(settings["auto_configure"])
    return hasattr(app, "_telemetry_settings") and os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true"

