"""Find the user's app from a "package.module:attribute" reference, as uvicorn does."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


class AppLoadError(Exception):
    """The reference does not lead to an app; the message says what was tried."""


def split_ref(ref: str) -> tuple[str, str]:
    module_name, _, attribute = ref.partition(":")
    if not module_name:
        raise AppLoadError(f"app reference {ref!r} should look like 'package.module:app'")
    return module_name, attribute or "app"


def import_app(ref: str):
    module_name, attribute = split_ref(ref)
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise AppLoadError(f"could not import module {module_name!r} (from {ref!r}) in {cwd}") from exc
        raise
    app = module
    for part in attribute.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {attribute!r} (from {ref!r})") from None
    from astraapi.applications import AstraAPI

    if not isinstance(app, AstraAPI):
        raise AppLoadError(f"{ref!r} is a {type(app).__name__}, not an AstraAPI/FastAPI application")
    return app


def canonical_ref(ref: str) -> str:
    module_name, attribute = split_ref(ref)
    return f"{module_name}:{attribute}"
