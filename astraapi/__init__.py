"""AstraAPI: a FastAPI-compatible web framework with a native runtime.

The names below are imported on first use (PEP 562 module `__getattr__`), so `import astraapi`
costs almost nothing; `from astraapi import FastAPI` imports what FastAPI's class needs, and the
native module, pydantic's heavier parts and the compiler load only when something uses them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

from astraapi._version import __version__ as __version__

# name -> the module that defines it (FastAPI's top-level names)
_LAZY = {
    "AstraAPI": "astraapi.applications",
    "FastAPI": "astraapi.applications",
    "BackgroundTasks": "astraapi.background",
    "HTTPException": "astraapi.exceptions",
    "WebSocketException": "astraapi.exceptions",
    "Body": "astraapi.param_functions",
    "Cookie": "astraapi.param_functions",
    "Depends": "astraapi.param_functions",
    "File": "astraapi.param_functions",
    "Form": "astraapi.param_functions",
    "Header": "astraapi.param_functions",
    "Path": "astraapi.param_functions",
    "Query": "astraapi.param_functions",
    "Security": "astraapi.param_functions",
    "UploadFile": "astraapi.datastructures",
    "Request": "astraapi.requests",
    "Response": "astraapi.responses",
    "APIRouter": "astraapi.routing",
    "WebSocket": "astraapi.websockets",
    "WebSocketDisconnect": "astraapi.websockets",
}

# Submodules reachable as attributes (`import astraapi; astraapi.responses.JSONResponse`), as they
# are in FastAPI, whose package imports them eagerly.
_SUBMODULES = frozenset({
    "applications", "background", "concurrency", "datastructures", "dependencies", "encoders",
    "exception_handlers", "exceptions", "middleware", "openapi", "param_functions", "params", "requests",
    "responses", "routing", "security", "status", "templating", "testclient", "utils", "websockets",
})

__all__ = ["__version__", "status", *_LAZY]


def __getattr__(name: str):  # noqa: ANN202 - any of the names above
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"astraapi.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'astraapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():  # noqa: ANN202
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from astraapi import status as status
    from astraapi.applications import AstraAPI as AstraAPI
    from astraapi.applications import FastAPI as FastAPI
    from astraapi.background import BackgroundTasks as BackgroundTasks
    from astraapi.datastructures import UploadFile as UploadFile
    from astraapi.exceptions import HTTPException as HTTPException
    from astraapi.exceptions import WebSocketException as WebSocketException
    from astraapi.param_functions import Body as Body
    from astraapi.param_functions import Cookie as Cookie
    from astraapi.param_functions import Depends as Depends
    from astraapi.param_functions import File as File
    from astraapi.param_functions import Form as Form
    from astraapi.param_functions import Header as Header
    from astraapi.param_functions import Path as Path
    from astraapi.param_functions import Query as Query
    from astraapi.param_functions import Security as Security
    from astraapi.requests import Request as Request
    from astraapi.responses import Response as Response
    from astraapi.routing import APIRouter as APIRouter
    from astraapi.websockets import WebSocket as WebSocket
    from astraapi.websockets import WebSocketDisconnect as WebSocketDisconnect
