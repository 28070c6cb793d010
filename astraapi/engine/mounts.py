"""Serving a mount (`app.mount` of a StaticFiles) or a frontend (`app.frontend`).

The router matched an IR route with `RouteIR.mount` set; its last path parameter is the path
below the mount. The StaticFiles decides the answer in the thread pool (it stats files); file
bodies then go out through the server's sendfile body (`streaming.send_file`). What it raises
(HTTPException 404/405/401, or an error) is answered by the app's exception handlers, as
FastAPI's ExceptionMiddleware answers for a mounted StaticFiles.
"""

from __future__ import annotations

from typing import Any

from astraapi.background import run_in_threadpool
from astraapi.compiler.ir import RouteIR
from astraapi.engine.handlers import ExceptionDispatcher
from astraapi.engine.responses import error_logger, from_response
from astraapi.engine.streaming import is_streamed, send_streamed
from astraapi.requests import Request


class MountPlan:
    """What the executor keeps for one mount route."""

    simple = False

    def __init__(self, route: RouteIR, record: Any, app: Any) -> None:
        self.ir = route
        self.record = record
        self.files = record.app
        self.app = app
        self.label = f"the {route.mount} mount at {record.path or '/'} ({route.source})"

    async def serve(self, native: Any, path_params: tuple[str, ...], dispatcher: ExceptionDispatcher) -> None:
        rest = path_params[-1] if path_params else ""
        router = getattr(self.app, "router", None)
        request = Request(native, {"path": rest} if path_params else {}, app=self.app,
                          state=getattr(router, "lifespan_state", None))
        try:
            response = await run_in_threadpool(self.files.get_response, self.files.get_path("/" + rest), request)
        except Exception as error:
            (status, headers, body), _ = await dispatcher.outcome(error, request, self.label)
            _respond(native, status, headers, body, self.label)
            return
        if is_streamed(response):
            try:
                await send_streamed(native, response, self.label)
            except Exception as error:
                if not native.responded:
                    (status, headers, body), _ = await dispatcher.outcome(error, request, self.label)
                    _respond(native, status, headers, body, self.label)
                else:
                    error_logger.error("Exception while sending the response of %s", self.label, exc_info=error)
            return
        _respond(native, *from_response(response), self.label)


def _respond(native: Any, status: int, headers: Any, body: bytes, label: str) -> None:
    try:
        native.respond(status, headers, body)
    except Exception as error:
        error_logger.error("Could not send the response of %s", label, exc_info=error)
