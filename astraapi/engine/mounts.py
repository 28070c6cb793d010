"""Serving a mount (`app.mount` of a StaticFiles or of a sub-application) or a frontend
(`app.frontend`).

The router matched an IR route with `RouteIR.mount` set; its last path parameter is the path
below the mount. A StaticFiles decides the answer in the thread pool (it stats files); file
bodies then go out through the server's sendfile body (`streaming.send_file`). What it raises
(HTTPException 404/405/401, or an error) is answered by the app's exception handlers, as
FastAPI's ExceptionMiddleware answers for a mounted StaticFiles.

A mounted AstraAPI app keeps its own IR, route trie (matched natively, on the path below the
mount) and executor, with its own exception handlers and dependency overrides; its "no such
route" 404, 405 and trailing-slash redirect are answered here as its own router would (Starlette
raises them inside the sub-app, so its handlers see them).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from astraapi.concurrency import run_in_threadpool
from astraapi.ir.nodes import RouteIR
from astraapi.engine.body_limit import CONTENT_TOO_LARGE, mark_mounted, over_declared
from astraapi.engine.handlers import ExceptionDispatcher
from astraapi.engine.responses import error_logger, from_response, report_server_error
from astraapi.engine.streaming import is_streamed, send_streamed
from astraapi import _starlette_compat as starlette_compat
from astraapi.exceptions import StarletteHTTPException as HTTPException
from astraapi.requests import Request
from astraapi.responses import RedirectResponse


class MountPlan:
    """What the executor keeps for one mount route."""

    simple = False

    def __init__(self, route: RouteIR, record: Any, app: Any, app_body_limit: int | None = None,
                 wrap_handler: Callable[[Any, Any, Any], Any] | None = None) -> None:
        self.ir = route
        # The body limit in force here (astraapi.engine.body_limit): the includes' the mount came
        # through, else the app's; a mounted app's own limit replaces it inside that app.
        self.body_limit = route.max_body_size if route.max_body_size is not None else app_body_limit
        self.record = record
        self.files = record.app
        self.app = app
        self.label = f"the {route.mount} mount at {record.path or '/'} ({route.source})"
        self.sub: Any = None
        self.asgi: Any = None
        if route.mount == "asgi":  # a foreign ASGI app (astraapi/asgi/bridge.py)
            from astraapi.asgi.bridge import AsgiMount

            self.asgi = AsgiMount(record.app, record.path, app)
        if route.mount == "app":
            from astraapi.introspection.app import build_ir
            from astraapi.ir.trie import build_trie_tables
            from astraapi.engine.executor import Executor

            if not record.app.root_path:
                # Starlette gives a mounted app the mount path as its scope's root_path: its
                # OpenAPI document lists it in `servers`, its docs pages load prefix + openapi_url.
                record.app.root_path = record.path
            sub_ir = build_ir(record.app, openapi=False)
            sub_ir = _inherit_limits(sub_ir, self.body_limit, dict(route.form_limits))
            if self.body_limit is not None:
                mark_mounted(record.app)  # (a limiter outside counts on: it answers in JSON)
            self.sub = Executor(record.app, sub_ir, wrap_handler=wrap_handler)
            # the sub-app's own middlewares (GZip, CORS, Python ones) wrap everything it answers
            self.sub_handle = (self._sub_answer if wrap_handler is None
                               else wrap_handler(self._sub_answer, sub_ir, record.app))
            self.sub_allow = [", ".join(route.methods) for route in sub_ir.routes]
            self.sub_routes = sub_ir.routes
            tables = build_trie_tables(sub_ir)
            self.sub_trie = tables.to_runtime()
            self.sub_ws_trie = _websocket_trie(tables) if any(
                route.methods == ("WEBSOCKET",) for route in sub_ir.routes) else None

    def handle(self, native: Any, path_params: tuple[str, ...], dispatcher: ExceptionDispatcher) -> Any:
        """The handler contract's answer: a response tuple now, or None (answered later)."""
        if self.asgi is not None:
            return self.asgi.handle(native, path_params, dispatcher)
        if self.sub is None:
            task = asyncio.get_running_loop().create_task(self.serve(native, path_params, dispatcher))
            task.add_done_callback(self._report)
            return None
        return self.sub_handle(native, 0, path_params)

    def runs_in_caller_anywhere(self, method: str, path_params: tuple[str, ...]) -> bool:
        if self.sub is None or self.sub_handle != self._sub_answer:
            return False
        match = self.sub_trie.match(method, "/" + (path_params[-1] if path_params else ""))
        return match[0] != 0 or self.sub.runs_in_caller_anywhere(method, match[1], match[2])

    async def run_in_caller(self, native: Any, path_params: tuple[str, ...], dispatcher: ExceptionDispatcher) -> Any:
        """`Executor.run_in_caller` for a request under this mount: a mounted AstraAPI app with no
        middleware of its own runs the request in the caller's task as well; anything else as `handle`."""
        if self.sub is not None and self.sub_handle == self._sub_answer:
            sub_path = "/" + (path_params[-1] if path_params else "")
            match = self.sub_trie.match(native.method, sub_path)
            if match[0] == 0:
                self._enter(native, sub_path)
                return await self.sub.run_in_caller(native, match[1], match[2])
        return self.handle(native, path_params, dispatcher)

    def _enter(self, native: Any, sub_path: str) -> None:
        """A request under an ASGI server carries its scope's `root_path`; below this mount it is the path
        the mount matched, as Starlette's Mount gives it (the native server's requests take it from the
        mounted app's `root_path`, set to the mount path above)."""
        scope = getattr(native, "scope", None)  # only an ASGI server's requests have one
        if scope is not None:
            root = scope.get("root_path", "")
            path = native.path
            # updated in place (the request's root_path reads it), as Starlette's router updates the scope
            scope.setdefault("app_root_path", root)
            scope["root_path"] = path[:len(path) - len(sub_path)] if path.endswith(sub_path) else root + self.record.path

    def _sub_answer(self, native: Any, _index: int, path_params: tuple[str, ...]) -> Any:
        """The mounted app's answer for the request, inside the sub-app's middlewares."""
        sub_path = "/" + (path_params[-1] if path_params else "")
        if _is_websocket(native):
            # The mounted app's WebSocket route, or the router's refusal (uvicorn's 403 on the wire).
            match = self.sub_ws_trie.match("GET", sub_path) if self.sub_ws_trie is not None else (3,)
            if match[0] == 0:
                self._matched(match[1])
                self._enter(native, sub_path)
                return self.sub.handle(native, match[1], match[2])
            return 403, _REFUSED_HANDSHAKE, b""
        match = self.sub_trie.match(native.method, sub_path)
        if match[0] == 0:
            self._matched(match[1])
            self._enter(native, sub_path)
            return self.sub.handle(native, match[1], match[2])
        if match[0] == 2:
            redirected = self.sub_trie.match(native.method, match[1])
            if redirected[0] == 0:
                self._matched(redirected[1])
            request = Request(native, app=self.record.app)
            url = request.url
            # the path the mount matched (its parameters' values, not the template), then the new sub-path
            path = native.path
            mounted = path[:len(path) - len(sub_path)] if path.endswith(sub_path) else self.record.path
            new_path = mounted + match[1]
            location = f"{url.scheme}://{url.netloc}{new_path}" if url.netloc else new_path
            if url.query:
                location += "?" + url.query
            return from_response(RedirectResponse(location))
        if match[0] == 1:
            self._matched(match[1])
        error_class = starlette_compat.router_http_exception()
        error = error_class(405, headers={"Allow": self.sub_allow[match[1]]}) if match[0] == 1 else error_class(404)
        task = asyncio.get_running_loop().create_task(self._answer_error(native, error))
        task.add_done_callback(self._report)
        return None

    def _matched(self, index: int) -> None:
        telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
        if telemetry is not None and telemetry._current() is not None:  # the request is observed
            route = self.sub_routes[index]
            telemetry._mount_matched(self.record.path, route.path if route.mount is None else None)
            # the mounted app's engine reports to the request's telemetry too (its data, operation spans)
            self.sub.telemetry = telemetry

    async def _answer_error(self, native: Any, error: HTTPException) -> None:
        request = Request(native, app=self.record.app)
        (status, headers, body), _ = await self.sub.dispatcher.outcome(error, request, self.label)
        _respond(native, status, headers, body, self.label)

    def _report(self, task: Any) -> None:
        if not task.cancelled() and task.exception() is not None:
            error_logger.error("Unexpected error while serving %s", self.label, exc_info=task.exception())

    async def serve(self, native: Any, path_params: tuple[str, ...], dispatcher: ExceptionDispatcher) -> None:
        rest = path_params[-1] if path_params else ""
        router = getattr(self.app, "router", None)
        request = Request(native, {"path": rest} if path_params else {}, app=self.app,
                          state=getattr(router, "lifespan_state", None))
        try:
            response = await run_in_threadpool(self.files.get_response, self.files.get_path("/" + rest), request)
        except Exception as error:
            (status, headers, body), _ = await dispatcher.outcome(error, request, self.label)
            if over_declared(native, self.body_limit):
                status, headers, body = CONTENT_TOO_LARGE
            _respond(native, status, headers, body, self.label)
            return
        if over_declared(native, self.body_limit):
            # the limiter replaces the answer when it starts (astraapi.engine.body_limit)
            await _close_response(response)
            _respond(native, *CONTENT_TOO_LARGE, self.label)
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
        report_server_error(error)


async def _close_response(response: Any) -> None:
    """A response that will not be sent: its body iterator closed (a file response's holds nothing open
    before it is iterated)."""
    close = getattr(getattr(response, "body_iterator", None), "aclose", None)
    if close is not None:
        await close()


def _inherit_limits(sub_ir: Any, body_limit: int | None, form_limits: dict[str, int]) -> Any:
    """A mounted app's IR with the limits in force at its mount: the body limit of the app outside goes on
    counting inside unless the mounted app has its own (Starlette's limiter), and the form limits outside
    are the defaults under the mounted app's own settings (FastAPI 0.165)."""
    import dataclasses

    if sub_ir.max_body_size is None and body_limit is not None:
        sub_ir = dataclasses.replace(sub_ir, max_body_size=body_limit)
    if form_limits:
        sub_ir = dataclasses.replace(sub_ir, routes=tuple(
            dataclasses.replace(route, form_limits=tuple(sorted({**form_limits, **dict(route.form_limits)}.items())))
            for route in sub_ir.routes))
    return sub_ir


_REFUSED_HANDSHAKE = [(b"content-length", b"0"), (b"content-type", b"text/plain; charset=utf-8")]


def _is_websocket(native: Any) -> bool:
    """A WebSocket handshake (the server hands a mount those too, see astraapi/ir/trie.py)."""
    for name, value in native.headers:
        if name.lower() == b"upgrade":
            return b"websocket" in value.lower()
    return False


def _websocket_trie(tables: Any) -> Any:
    """A matcher for the WebSocket routes of `tables`: the runtime's matcher has no WEBSOCKET method
    name, so on these tables WebSocket routes answer GET, mounts keep every method, others none."""
    from dataclasses import replace

    from astraapi.ir.trie import ANY_METHOD, LOW_PRIORITY, METHOD_BITS

    websocket_bit, get_bit = METHOD_BITS["WEBSOCKET"], METHOD_BITS["GET"]
    routes = tuple(((get_bit if bits & websocket_bit else 0) | (bits & (ANY_METHOD | LOW_PRIORITY)), allow, count)
                   for bits, allow, count in tables.routes)
    return replace(tables, routes=routes).to_runtime()

