"""FastAPI's dependency internals that libraries read (`get_dependant`, `Dependant` and its helpers,
`Depends(max_concurrency=)`'s limiter, `_read_file_bytes`): built from AstraAPI's route analysis, and
compared with what FastAPI itself reports for the same callables where FastAPI is installed."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated

import pytest
from pydantic import BaseModel


def _shape(dependant) -> dict:
    return {
        "name": dependant.name,
        "call": dependant.call,
        "path": dependant.path,
        "use_cache": dependant.use_cache,
        "scope": dependant.scope,
        "own": dependant.own_oauth_scopes,
        "parent": dependant.parent_oauth_scopes,
        **{kind: [(f.name, f.alias, type(f.field_info).__name__, f.field_info.annotation, f.field_info.is_required())
                  for f in getattr(dependant, f"{kind}_params")]
           for kind in ("path", "query", "header", "cookie", "body")},
        **{f"{kind}_param_name": getattr(dependant, f"{kind}_param_name")
           for kind in ("request", "websocket", "http_connection", "response", "background_tasks", "security_scopes")},
        "dependencies": [_shape(sub) for sub in dependant.dependencies],
    }


def _app_source(framework: str):
    namespace: dict = {}
    exec(SOURCE.replace("FRAMEWORK", framework), namespace)  # noqa: S102 - the same declarations for both
    return namespace


SOURCE = """
from typing import Annotated
from pydantic import BaseModel
from FRAMEWORK import BackgroundTasks, Body, Cookie, Depends, Header, Query, Request, Response, Security, WebSocket
from FRAMEWORK.security import OAuth2PasswordBearer, SecurityScopes

class Item(BaseModel):
    name: str

oauth = OAuth2PasswordBearer("token")

def user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth)], x_user: Annotated[str, Header()] = ""):
    return token

def common(q: str | None = None, limit: int = 10, session: Annotated[str | None, Cookie()] = None):
    return q

async def endpoint(item_id: int, item: Item, request: Request, response: Response, tasks: BackgroundTasks,
                   tags: Annotated[list[str], Query(alias="tag")] = [], extra: Annotated[int, Body()] = 1,
                   c: Annotated[str, Depends(common, use_cache=False)] = "",
                   u: Annotated[str, Security(user, scopes=["me"])] = ""):
    return item

async def socket(websocket: WebSocket, c: Annotated[str, Depends(common)] = ""):
    pass
"""


@pytest.mark.parametrize("which", ["endpoint", "socket"])
def test_get_dependant_matches_fastapi(which):
    fastapi_utils = pytest.importorskip("fastapi.dependencies.utils")
    from astraapi.dependencies.utils import get_dependant

    ours, theirs = _app_source("astraapi"), _app_source("fastapi")

    def normalize(shape, namespace):
        # the two sides' callables and models are different objects: compare by name
        text = repr(shape)
        for key, value in namespace.items():
            if callable(value) and hasattr(value, "__qualname__"):
                text = text.replace(repr(value), f"<{key}>")
        return text.replace(repr(namespace["oauth"]), "<oauth>")

    path = "/items/{item_id}"
    mine = normalize(_shape(get_dependant(path=path, call=ours[which])), ours)
    reference = normalize(_shape(fastapi_utils.get_dependant(path=path, call=theirs[which])), theirs)
    assert mine == reference


def test_dependant_helpers():
    from astraapi.dependencies.models import (
        Dependant, _get_cache_key, _get_computed_scope, _get_oauth_scopes, _is_async_gen_callable,
        _is_coroutine_callable, _is_coroutine_callable_cached, _is_gen_callable, _uses_scopes,
    )
    from astraapi.security import APIKeyHeader

    def gen():
        yield

    async def coro():
        pass

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        async def __call__(self):
            pass

    _is_coroutine_callable_cached.cache_clear()
    assert _is_coroutine_callable(coro) and _is_coroutine_callable(coro)
    assert _is_coroutine_callable_cached.cache_info().hits == 1
    assert _is_coroutine_callable(Unhashable()) and not _is_coroutine_callable(gen)
    assert _is_gen_callable(gen) and not _is_async_gen_callable(gen)
    child = Dependant(call=APIKeyHeader(name="key"))
    parent = Dependant(call=gen, dependencies=[child], own_oauth_scopes=["b", "a"], parent_oauth_scopes=["a"])
    assert _get_oauth_scopes(dependant=parent) == ["a", "b"]
    assert _uses_scopes(dependant=parent)
    assert _get_computed_scope(dependant=parent) == "request"
    assert _get_cache_key(dependant=parent) == (gen, ("a", "b"), "request")
    assert not hasattr(parent, "__dict__")


def test_get_dependant_reports_what_the_analysis_refuses():
    from astraapi.dependencies.utils import get_dependant
    from astraapi.exceptions import FastAPIError

    def endpoint(item_id: dict[str, int]):
        return item_id

    with pytest.raises(FastAPIError, match="endpoint: .*item_id"):
        get_dependant(path="/items/{item_id}", call=endpoint)


def test_max_concurrency_limiter_readouts():
    from astraapi import Depends

    declaration = Depends(lambda: 1, max_concurrency=2)

    async def main():
        semaphore = declaration._concurrency.get_semaphore()
        assert semaphore is declaration._concurrency.get_semaphore()
        async with semaphore:
            assert semaphore.value == 1
        assert semaphore.statistics().tasks_waiting == 0
        return semaphore.value

    assert asyncio.run(main()) == 2


def test_read_file_bytes_restores_the_position():
    from astraapi import UploadFile
    from astraapi.dependencies.utils import _read_file_bytes

    stream = io.BytesIO(b"hello")
    upload = UploadFile(stream, filename="a")
    stream.seek(2)
    assert asyncio.run(_read_file_bytes(upload)) == b"llo"
    assert stream.tell() == 2


class _Unused(BaseModel):
    pass
