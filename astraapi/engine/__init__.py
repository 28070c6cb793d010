"""The request engine both serving modes share: parameters, validation, endpoint call, serialization.

`Executor(app, ir).handle(request, route_index, path_params)` implements the handler
contract of docs/internals.md.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "Executor":  # imported on first use: the engine's submodules load without it
        from astraapi.engine.executor import Executor

        return Executor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
