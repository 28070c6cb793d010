"""The functions users call to mark parameters: `Path()`, `Query()`, `Header()`, `Cookie()`, `Body()`.

Each returns the matching marker from `astraapi.params`; keyword arguments are pydantic
Field options (constraints, alias, title, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticUndefined

from astraapi import params


def Path(default: Any = ..., **options: Any) -> Any:  # noqa: N802 (FastAPI's public name)
    return params.Path(default, **options)


def Query(default: Any = PydanticUndefined, **options: Any) -> Any:  # noqa: N802
    return params.Query(default, **options)


def Header(default: Any = PydanticUndefined, *, convert_underscores: bool = True, **options: Any) -> Any:  # noqa: N802
    return params.Header(default, convert_underscores=convert_underscores, **options)


def Cookie(default: Any = PydanticUndefined, **options: Any) -> Any:  # noqa: N802
    return params.Cookie(default, **options)


def Body(  # noqa: N802
    default: Any = PydanticUndefined, *, embed: bool | None = None, media_type: str = "application/json", **options: Any
) -> Any:
    return params.Body(default, embed=embed, media_type=media_type, **options)


def Form(  # noqa: N802
    default: Any = PydanticUndefined, *, media_type: str = "application/x-www-form-urlencoded", **options: Any
) -> Any:
    return params.Form(default, media_type=media_type, **options)


def File(  # noqa: N802
    default: Any = PydanticUndefined, *, media_type: str = "multipart/form-data", **options: Any
) -> Any:
    return params.File(default, media_type=media_type, **options)


def Depends(  # noqa: N802
    dependency: Any = None, *, use_cache: bool = True, scope: str | None = None, max_concurrency: int | None = None
) -> Any:
    return params.Depends(dependency, use_cache=use_cache, scope=scope, max_concurrency=max_concurrency)


def Security(dependency: Any = None, *, scopes: Any = None, use_cache: bool = True) -> Any:  # noqa: N802
    # As in FastAPI, the function takes no scope= or max_concurrency= (params.Security does).
    return params.Security(dependency, scopes=scopes, use_cache=use_cache)
