"""The Executor: the handler the server calls for each matched request.

`Executor(app, ir, compiled_serializers)` prepares one `RoutePlan` (engine/route_plan.py) per route at
construction, from the IR (what to read, from where, what is required) and the live
objects introspection keeps for the same route index (endpoint, TypeAdapters); with
`lazy=True` (compiled mode starting from the build) each route's plan is made on its first
request instead, from `introspect.analyze_route`. Per
request, `handle` validates every parameter, collecting all errors, then calls the
endpoint:

- `async def` endpoints whose code cannot suspend run inline (engine/inline.py); the
  others run as a task on the running loop (started eagerly on Python 3.12+, so one that
  finishes without suspending is answered inline);
- `def` endpoints run in a thread pool, as FastAPI runs them.

It returns a response tuple, or None when the answer will come through
`request.respond(...)` (engine/answering.py; see docs/internals.md, "The handler contract").

Routes with dependencies or special parameters (Response, BackgroundTasks,
SecurityScopes), and every route of an app with its own exception handlers, take the
general path instead: one task per request that solves the dependency tree, calls the
endpoint, answers through `request.respond`, then runs the background tasks and the exit
code of `yield` dependencies (see `_run_full`).
"""

from __future__ import annotations

import asyncio
import json
import contextvars
import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.introspection.app import analyze_app, analyze_route
from astraapi.introspection.records import RouteAnalysis
from astraapi.ir.nodes import AppIR, RouteIR
from astraapi.engine.body import MISSING, BodyError, read_body
from astraapi.engine.body_limit import CONTENT_TOO_LARGE, check_read, over_declared, read_above, refusal
from astraapi.engine.errors import validation_error_tuple
from astraapi.engine.form import read_form
from astraapi.concurrency import running_asyncio
from astraapi.engine.answering import (
    awaited_direct,
    close_stream,
    failed_answer,
    rendered_answer,
    report_crash,
    report_unmatched_crash,
    respond_later,
    response_answer,
    run_as_task,
    run_sync,
    send_answer,
    sent_now,
    start_stream,
    with_temporary_headers,
)
from astraapi.engine.dependencies import RequestContext, Solver
from astraapi.engine.handlers import ExceptionDispatcher
from astraapi.engine.inline import TO_TASK, continue_in_task, resume_coroutine
from astraapi.engine.route_class import BodyOverride, as_response, build_handler, route_class_name, serving_context
from astraapi.engine.route_plan import CompiledDecoder, RoutePlan
from astraapi.engine.streaming import Stream, generator_response, send_streamed
from astraapi.exceptions import AstraAPIError, HTTPException, RequestValidationError
from astraapi.engine.direct import direct_route
from astraapi.engine.mounts import MountPlan
from astraapi.engine.responses import (
    INTERNAL_SERVER_ERROR,
    ResponseTuple,
    error_logger,
    http_exception_tuple,
    internal_error,
    report_server_error,
)
# The route indexes the server hands over for requests no route answers, when `route_unmatched` is
# on (the app has an exception handler for the router's 404 or 405: see Executor.routes_unmatched),
# and for a trailing-slash redirect (path_params: the location) when `route_redirects` is on
# (CORSMiddleware): astraapi/_runtime_contract.py, shared with the runtime.
from astraapi._runtime_contract import METHOD_NOT_ALLOWED_ROUTE, NOT_FOUND_ROUTE, REDIRECT_ROUTE
from astraapi.engine.serialize import CompiledSerializer, ResponsePlan, make_default_dumps
from astraapi.engine.websocket import start_websocket
from astraapi.concurrency import sync_pool
from astraapi.requests import Request
from astraapi.datastructures import DefaultPlaceholder

def _native_dumps() -> Callable[[Any], bytes] | None:
    try:
        from astraapi import _runtime  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(_runtime, "dumps", None)


_NOT_AWAITED = (
    "Response not awaited. There's a high chance that the application code is raising an exception and a "
    "dependency with yield has a block with a bare except, or a block with except Exception, and is not "
    "raising the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-and-except")


class _Unwind:
    """`async with _Unwind(ctx, scope)`: on the way out, unwinds the request's exit stack of that scope
    (`RequestContext.stack`) as `async with AsyncExitStack()` would, when a `yield` dependency made one."""

    __slots__ = ("ctx", "scope")

    def __init__(self, ctx: RequestContext, scope: str) -> None:
        self.ctx = ctx
        self.scope = scope

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        stack = self.ctx.function_stack if self.scope == "function" else self.ctx.request_stack
        if stack is None:
            return False
        return bool(await stack.__aexit__(exc_type, exc, tb))


class Executor:
    def __init__(
        self,
        app: Any,
        ir: AppIR,
        compiled_serializers: Mapping[int, CompiledSerializer] | None = None,
        compiled_decoders: Mapping[int, CompiledDecoder] | None = None,
        compiled_encoders: Mapping[int, CompiledSerializer] | None = None,
        *,
        lazy: bool = False,
        wrap_handler: Callable[[Any, AppIR, Any], Any] | None = None,
    ) -> None:
        self.app = app
        # The serving layer's `with_middleware`: a mounted AstraAPI app's handler goes inside its own
        # middlewares (engine/mounts.py). None: an executor outside a server (tests, tools).
        self.wrap_handler = wrap_handler
        self.ir = ir
        self._default_dumps = make_default_dumps(_native_dumps())
        self._compiled_serializers = compiled_serializers or {}
        self._compiled_decoders = compiled_decoders or {}
        self._compiled_encoders = compiled_encoders or {}
        self._plans: list[RoutePlan | MountPlan | None]
        if lazy:
            # Compiled mode starting from the build: each route is analysed on its first request.
            self._plans = [None] * len(ir.routes)
        else:
            analysis = analyze_app(app)
            if len(analysis.routes) != len(ir.routes):
                raise AstraAPIError(
                    f"the IR has {len(ir.routes)} routes but the app has {len(analysis.routes)}; rebuild the IR"
                )
            self._plans = [self._checked_plan(route, analysis.routes[route.index]) for route in ir.routes]
        self.dispatcher = ExceptionDispatcher(app)
        self.solver = Solver(app)
        # AstraAPI(sync_endpoints="inline"): `def` endpoints run on the event loop, without the
        # thread pool hop (faster; a blocking endpoint then blocks its worker).
        self.inline_sync = ir.sync_endpoints == "inline"
        self.strict_content_type = ir.strict_content_type
        self.max_body_size: int | None = ir.max_body_size
        # The router's 404 and 405 are FastAPI's HTTPException(404/405) raised inside the exception
        # layer: with a handler of the app's for them, the server passes them here (Server.route_unmatched);
        # without, it answers them natively with the default handler's bytes.
        # So does an app with a body limit: its limiter replaces them when the declared length is over it.
        self.routes_unmatched = self.dispatcher.answers_router_errors() or self.max_body_size is not None
        # astraapi.telemetry._api when serving records telemetry (server.serve.prepare sets it): every
        # route then takes the general path, where the operation spans are. None: no cost at all.
        self.telemetry: Any = None
        self._direct_sink: Callable[..., None] | None = None
        self._route_handlers: dict[int, Any] = {}  # custom route classes' handlers, built on first use

    # ------------------------------------------------------------------ the direct call (engine/direct.py)

    def attach_server(self, server: Any) -> None:
        """Let `server` call the endpoints of qualifying routes itself (the handler is this
        executor's, with no Python middleware around it). Lazy plans register on their first request."""
        self._direct_sink = getattr(server, "set_direct_route", None)
        for index, plan in enumerate(self._plans):
            if plan is not None and plan.__class__ is RoutePlan:
                self._offer_direct(index, plan)

    def _offer_direct(self, index: int, plan: RoutePlan) -> None:
        if self._direct_sink is None or not self.dispatcher.only_defaults:
            return
        spec = direct_route(plan, functools.partial(self._direct_finish, plan), inline_sync=self.inline_sync)
        if spec is not None:
            self._direct_sink(index, **spec)

    def _direct_finish(self, plan: RoutePlan, request: Any, outcome: int, value: Any, context: Any) -> Any:
        """The rest of a direct call the server could not finish natively: `outcome` 0, the
        endpoint returned `value`; 1, it raised `value`; 2, the coroutine `value[0]` suspended on
        `value[1]` (run in `context`); 3, `value` is the endpoint's coroutine, not started (it can
        suspend: a task runs it). Returns the response tuple, or None (answered later)."""
        if outcome == 2:
            coro, pending = value
            task = asyncio.get_running_loop().create_task(awaited_direct(plan, resume_coroutine(coro, pending)), context=context)
            task.add_done_callback(functools.partial(respond_later, request, plan))
            return None
        if outcome == 3:  # an endpoint that can suspend: its coroutine, not started, runs as a task
            return run_as_task(plan, awaited_direct(plan, value), request)
        try:
            result = failed_answer(plan, value) if outcome == 1 else rendered_answer(plan, value)
        except Exception as error:
            result = internal_error(f"Exception in {plan.label}", error)
        if isinstance(result, Stream):
            start_stream(request, result, plan)
            return None
        return sent_now(result, plan)

    def _checked_plan(self, route: RouteIR, live: RouteAnalysis) -> RoutePlan | MountPlan:
        """The plan of IR route `route` from the app's analysis of the same index (eager start-up)."""
        if route.mount is not None and route.mount != "frontend-guarded":
            if live.ir.mount != route.mount or live.ir.path != route.path:
                raise AstraAPIError(f"IR route {route.index} is a {route.mount} mount at {route.path}, but the "
                                    f"app's route {route.index} is not; rebuild the IR")
            return MountPlan(route, live.route, self.app, self.ir.max_body_size, self.wrap_handler)  # type: ignore[arg-type]
        if live.ir.endpoint != route.endpoint or live.ir.path != route.path:
            raise AstraAPIError(
                f"IR route {route.index} is {route.endpoint} at {route.path}, but the app's route "
                f"{route.index} is {live.ir.endpoint} at {live.ir.path}; rebuild the IR"
            )
        return self._make_plan(route, live, compiled=True)

    def _make_plan(self, route: RouteIR, live: RouteAnalysis, compiled: bool) -> RoutePlan:
        response_class = None if isinstance(live.route.response_class, DefaultPlaceholder) else live.route.response_class
        # as FastAPI reports it: the method(s) and the path, behind the app's root path (a mount's path)
        mount_path = (getattr(self.app, "root_path", "") or "").rstrip("/")
        endpoint_ctx = {"file": live.source_file, "line": live.source_line,
                        "function": getattr(live.route.endpoint, "__name__", route.name),
                        "path": f"{'WS' if route.methods == ('WEBSOCKET',) else '/'.join(route.methods)} "
                                f"{mount_path}{route.path}"}
        response = ResponsePlan(
            route,
            live.response_adapter if route.response_model is not None else None,
            response_class,
            self._compiled_serializers.get(route.index) if compiled else None,
            self._default_dumps,
            endpoint_ctx,
        )
        response.compiled_encoder = self._compiled_encoders.get(route.index) if compiled else None
        if response.adapter is not None and "pydantic.networks" in sys.modules:
            from astraapi.engine.email_cache import install

            install(response.adapter)  # EmailStr fields: a table of validated addresses (engine/email_cache.py)
        plan = RoutePlan(route, live, response, self.app)
        plan.strict_content_type = (route.strict_content_type if route.strict_content_type is not None
                                    else self.ir.strict_content_type)
        # FastAPI 0.165: the route's limit (route, router or include) replaces the app's.
        plan.max_body_size = route.max_body_size if route.max_body_size is not None else self.ir.max_body_size
        plan.form_limits = dict(route.form_limits)
        plan.bind_decoder(self._compiled_decoders.get(route.index) if compiled else None)
        return plan

    def _first_request_plan(self, route_index: int) -> RoutePlan | MountPlan:
        """Lazy mode: analyse the route now. If the analysis is not what the build compiled (the
        fingerprint missed a change), serve the route from this analysis on the generic path."""
        route = self.ir.routes[route_index]
        live = analyze_route(self.app, route_index)
        compiled = live.ir == route
        if not compiled:
            error_logger.warning(
                "%s (%s:%s) is not declared as it was when the app was built: serving it without its "
                "compiled code; run `astraapi build` to compile it again",
                live.ir.endpoint, route.source.file, route.source.line,
            )
            route = live.ir
        if route.mount is not None and route.mount != "frontend-guarded":
            mount = MountPlan(route, live.route, self.app, self.ir.max_body_size, self.wrap_handler)  # type: ignore[arg-type]
            self._plans[route_index] = mount
            return mount
        plan = self._make_plan(route, live, compiled)
        self._plans[route_index] = plan
        self._offer_direct(route_index, plan)
        return plan

    # ------------------------------------------------------------------ the handler contract

    def handle(self, request: Any, route_index: int, path_params: tuple[str, ...]) -> ResponseTuple | None:
        try:
            plan = self._plans[route_index]
        except IndexError:
            if route_index == REDIRECT_ROUTE:  # the router's RedirectResponse, as the server writes it
                if over_declared(request, self.max_body_size):
                    return CONTENT_TOO_LARGE  # the app's body limiter replaces it
                return 307, [(b"content-length", b"0"), (b"location", path_params[0].encode("latin-1"))], b""
            if route_index not in (NOT_FOUND_ROUTE, METHOD_NOT_ALLOWED_ROUTE):
                raise
            task = asyncio.get_running_loop().create_task(self._run_unmatched(request, route_index, path_params))
            task.add_done_callback(report_unmatched_crash)
            return None
        if plan is None:
            try:
                plan = self._first_request_plan(route_index)
            except Exception as error:
                return internal_error(f"Exception while analysing route {route_index} on its first request", error)
        if plan.__class__ is MountPlan:
            return plan.handle(request, path_params, self.dispatcher)
        if plan.websocket:
            start_websocket(self, plan, request, path_params)
            return None
        if not (plan.simple and self.dispatcher.only_defaults and plan.max_body_size is None) \
                or self.telemetry is not None:
            if plan.drive_inline and self.telemetry is None:
                return self._drive_inline(plan, request, path_params)
            task = asyncio.get_running_loop().create_task(self._run_full(plan, request, path_params))
            task.add_done_callback(functools.partial(report_crash, plan))
            return None
        try:
            values, errors = plan.solve(request, path_params)
            if errors:
                return validation_error_tuple(errors)
            if plan.is_async:
                return self._start_async(plan, values, request)
            if self.inline_sync:
                return sent_now(run_sync(plan, values), plan)
            return self._start_sync(plan, values, request)
        except BodyError as error:
            if error.error is not None:
                return validation_error_tuple([error.error])
            return http_exception_tuple(400, "There was an error parsing the body", None)
        except Exception as error:
            return internal_error(f"Exception while handling {plan.label}", error)

    # ------------------------------------------------------------------ the general path

    def runs_in_caller_anywhere(self, method: str, route_index: int, path_params: tuple[str, ...]) -> bool:
        """Whether `run_in_caller` serves this route without asyncio (under trio): an HTTP route of this
        app, or of a mounted AstraAPI app without middleware of its own."""
        plan = self._plans[route_index] if 0 <= route_index < len(self._plans) else None
        if plan is None:
            try:
                plan = self._first_request_plan(route_index)
            except Exception:
                return False
        if plan.__class__ is MountPlan:
            return plan.runs_in_caller_anywhere(method, path_params)
        return plan.__class__ is RoutePlan and not plan.websocket

    def reads_body_first(self, route_index: int) -> bool:
        """Whether serving this route reads the request body before its endpoint runs (body parameters, a
        mount): the ASGI entry reads it first then. Other routes read it when asked (`await request.body()`),
        as FastAPI reads it only for a body parameter."""
        plan = self._plans[route_index] if 0 <= route_index < len(self._plans) else None
        if plan is None:
            try:
                plan = self._first_request_plan(route_index)
            except Exception:  # noqa: BLE001 - reported when the request is handled
                return True
        return plan.__class__ is not RoutePlan or plan.has_body

    async def run_in_caller(self, request: Any, route_index: int, path_params: tuple[str, ...]) -> ResponseTuple | None:
        """The ASGI entry's way in when nothing wraps the executor: the general path (and the router's 404
        and 405) runs in the ASGI call's own task, as FastAPI runs a request in it, so the caller's
        cancellation and cancel scopes reach dependencies and the endpoint as they do under FastAPI, and
        any backend anyio runs serves it (trio included: then every route takes the general path). The
        answer is sent as it is made (`request.flush()`). Returns what `handle` returns for the rest
        (plain routes on asyncio, mounts, WebSockets, a trailing-slash redirect)."""
        on_asyncio = running_asyncio()
        if route_index in (NOT_FOUND_ROUTE, METHOD_NOT_ALLOWED_ROUTE) and route_index >= len(self._plans):
            await self._run_unmatched(request, route_index, path_params)
            await request.flush()
            return None
        if not 0 <= route_index < len(self._plans):
            return self.handle(request, route_index, path_params)
        plan = self._plans[route_index]
        if plan is None:
            try:
                plan = self._first_request_plan(route_index)
            except Exception as error:
                return internal_error(f"Exception while analysing route {route_index} on its first request", error)
        if plan.__class__ is MountPlan:
            return await plan.run_in_caller(request, path_params, self.dispatcher)
        if plan.__class__ is not RoutePlan or plan.websocket or (
                on_asyncio and plan.simple and self.dispatcher.only_defaults and plan.max_body_size is None
                and self.telemetry is None):
            return self.handle(request, route_index, path_params)
        await self._run_full(plan, request, path_params, in_caller=True)
        return None

    def _drive_inline(self, plan: RoutePlan, native: Any, path_params: tuple[str, ...]) -> None:
        """The general path without a task: `_run_full` driven by hand in a copy of the context, as a
        task would run it. A request whose dependencies, endpoint and answer never suspend is answered
        before this returns (through `native.respond`); one that reaches code needing a task (`await
        TO_TASK`) or a coroutine that suspended goes on in a task from there (engine/inline.py)."""
        ctx = RequestContext(native, path_params, plan.path_names, self.app, plan.ir.path)
        ctx.inline = True
        coro = self._run_full(plan, native, path_params, ctx=ctx)
        context = contextvars.copy_context()
        try:
            pending = context.run(coro.send, None)
        except StopIteration:
            return None
        ctx.inline = False
        task = continue_in_task(asyncio.get_running_loop(), coro, pending, context)
        task.add_done_callback(functools.partial(report_crash, plan))
        return None

    async def _run_full(self, plan: RoutePlan, native: Any, path_params: tuple[str, ...], in_caller: bool = False,
                        ctx: RequestContext | None = None) -> None:
        answered = [False]

        def on_send() -> None:
            answered[0] = True

        telemetry = self.telemetry
        if telemetry is not None:
            telemetry._task_started()  # the request's data stays until this task ends (background tasks)
        try:
            await self._run_request(plan, native, path_params, on_send, in_caller, ctx)
        except BaseException as error:  # a bug here must still answer the client, then surface
            if in_caller and not isinstance(error, Exception):
                raise  # the ASGI call was cancelled (or is exiting): nothing more is sent, as under FastAPI
            if not answered[0]:
                send_answer(native, internal_error(f"Unexpected error while serving {plan.label}", error), plan)
            if not isinstance(error, Exception):
                raise
        finally:
            if telemetry is not None:
                telemetry._task_ended()

    async def _run_request(self, plan: RoutePlan, native: Any, path_params: tuple[str, ...],
                           on_send: Callable[[], None], in_caller: bool = False,
                           ctx: RequestContext | None = None) -> None:
        """One request, as FastAPI's request_response + get_request_handler run it.

        The request exit stack encloses the function exit stack, which encloses solving the
        dependencies, the endpoint call and serialization. Without an exception: function-scoped
        `yield` dependencies exit, the response is sent, background tasks run, then
        request-scoped ones exit. With one: both stacks unwind with it (dependencies see it at
        their `yield`), then the exception handlers answer. An exception raised after the
        response was sent is only logged. (The stacks are made when a `yield` dependency is first
        entered: `RequestContext.stack`; `_Unwind` unwinds them as `async with` would.)"""
        if plan.max_body_size is not None and read_above(native, plan.max_body_size):
            on_send()
            send_answer(native, refusal(self.app), plan)
            return
        if ctx is None:
            ctx = RequestContext(native, path_params, plan.root_path_names(), self.app, plan.ir.path)
        ctx.in_caller = in_caller
        sent = False
        swallowed = True
        try:
            async with _Unwind(ctx, "request"):
                produced = None
                async with _Unwind(ctx, "function"):
                    if plan.route_class is None:
                        produced = await self._produce(plan, ctx)
                    else:
                        produced = await self._produce_through_route_class(plan, ctx)
                if produced is None:
                    raise AstraAPIError(
                        f"{plan.label}: no response was produced (a dependency with yield and scope "
                        f'"function" caught the exception and did not raise it again)')
                response, background = produced
                if over_declared(native, plan.max_body_size):
                    # Starlette's limiter replaces any answer once it starts when the declared length is over.
                    if isinstance(response, Stream):
                        await close_stream(response)
                    response, background = CONTENT_TOO_LARGE, None
                on_send()
                if isinstance(response, Stream):
                    if ctx.inline:
                        await TO_TASK
                    try:
                        await send_streamed(native, response.response, plan.label)
                    except Exception:
                        sent = bool(native.responded)  # after the head: only logged
                        raise
                else:
                    send_answer(native, response, plan)
                    if in_caller:
                        await native.flush()
                sent = True
                if ctx.inline and (background is not None or (
                        ctx.request_exits and getattr(native, "handed_over", None) is not None)):
                    # after the answer: background work, or a Python middleware to wait for. (Exit code
                    # of yield dependencies entered while inline cannot suspend: it runs here.)
                    await TO_TASK
                if background is not None or ctx.request_exits:
                    # Below a Python middleware, the work after the answer starts once the middleware has
                    # taken it (call_next returned), as Starlette's streams hand it over: the middleware
                    # sees the response before background tasks and request-scoped exit code run.
                    handed_over = getattr(native, "handed_over", None)
                    if handed_over is not None:
                        await handed_over()
                if background is not None:
                    await background()
                swallowed = False
        except Exception as error:
            if sent:
                if self.dispatcher.lookup(error) is not None:
                    # one the app's exception handlers answer, once the answer went out: Starlette's
                    # exception layer raises this in its place (what servers, test clients and telemetry see)
                    handled = RuntimeError("Caught handled exception, but response already started.")
                    handled.__cause__ = error
                    error = handled
                error_logger.error("Exception after the response of %s was sent", plan.label, exc_info=error)
                report_server_error(error)  # a test client raises it, as FastAPI's in-process one does
                return
            if ctx.inline and not self.dispatcher.only_defaults:
                await TO_TASK  # the app's exception handlers
            (response, background) = await self.dispatcher.outcome(error, ctx.request(), plan.label)
            if over_declared(native, plan.max_body_size):
                if isinstance(response, Stream):
                    await close_stream(response)
                response, background = CONTENT_TOO_LARGE, None
            on_send()
            if ctx.inline and (background is not None or isinstance(response, Stream)):
                await TO_TASK
            if isinstance(response, Stream):
                try:
                    await send_streamed(native, response.response, plan.label)
                except Exception as stream_error:
                    if not native.responded:
                        send_answer(native, internal_error(f"Exception in the error response of {plan.label}",
                                                     stream_error), plan)
                    else:
                        error_logger.error("Exception while streaming the error response of %s", plan.label,
                                           exc_info=stream_error)
                    return
            else:
                send_answer(native, response, plan)
                if in_caller:
                    await native.flush()
            if background is not None:
                try:
                    await background()
                except Exception as bg_error:
                    error_logger.error("Exception in a background task of %s", plan.label, exc_info=bg_error)
            return
        if swallowed:  # an exception vanished in a yield dependency's exit code: FastAPI's FastAPIError
            error = AstraAPIError(_NOT_AWAITED)
            error_logger.error("%s (%s)", _NOT_AWAITED, plan.label)
            report_server_error(error)  # a test client raises it, as FastAPI's in-process one does
            if not sent:
                on_send()
                send_answer(native, INTERNAL_SERVER_ERROR, plan)

    async def _run_unmatched(self, native: Any, route_index: int, path_params: tuple[str, ...]) -> None:
        """The router's 404, or its 405 (path_params: the allow value), through the app's exception
        handlers, as Starlette's router raises them."""
        error_class = starlette_compat.router_http_exception()  # Starlette's own class when it is loaded
        if route_index == METHOD_NOT_ALLOWED_ROUTE:
            error = error_class(405, headers={"Allow": path_params[0]})
        else:
            error = error_class(404)
        router = getattr(self.app, "router", None)
        request = Request(native, {}, app=self.app, state=getattr(router, "lifespan_state", None))
        label = f"{native.method} {native.path}"
        try:
            await self._answer_unmatched(native, error, request, label)
        except BaseException as crash:  # a bug here must still answer the client, then surface
            if not native.responded:
                status, headers, body = internal_error(f"Unexpected error while answering {label}", crash)
                native.respond(status, headers, body)
            else:
                error_logger.error("Exception while answering %s", label, exc_info=crash)
            if not isinstance(crash, Exception):
                raise

    async def _answer_unmatched(self, native: Any, error: Exception, request: Request, label: str) -> None:
        response, background = await self.dispatcher.outcome(error, request, label)
        if over_declared(native, self.max_body_size):
            if isinstance(response, Stream):
                await close_stream(response)
            response, background = CONTENT_TOO_LARGE, None
        if isinstance(response, Stream):
            await send_streamed(native, response.response, label)
        else:
            status, headers, body = response
            native.respond(status, headers, body)
        if background is not None:
            try:
                await background()
            except Exception as bg_error:
                error_logger.error("Exception in a background task of %s", label, exc_info=bg_error)

    async def _produce_through_route_class(self, plan: RoutePlan, ctx: RequestContext) -> tuple[Any, Any]:
        """A custom route class's route (engine/route_class.py): its handler answers `ctx.request()`."""
        handler = self._route_handlers.get(plan.ir.index)
        if handler is None:
            handler = self._route_handlers[plan.ir.index] = build_handler(self, plan, plan.route_class)
        token = serving_context.set(ctx)
        try:
            response = await handler(ctx.request())
        finally:
            serving_context.reset(token)
        answer = response_answer(response, ctx)
        if answer is None:
            raise AstraAPIError(f"{plan.label}: the handler of route class {route_class_name(plan.route_class)} "
                                f"returned {type(response).__name__}, not a Response")
        return answer

    async def produce_for_route_class(self, plan: RoutePlan, ctx: RequestContext, request: Request) -> Any:
        """`APIRoute.get_route_handler()`'s handler: the route run for `request` (its body, its object as
        the Request parameter), answered as a Response."""
        ctx._request = request
        if plan.has_body:
            body = await request.body()
            if body is not ctx.native.body:
                ctx.native = BodyOverride(ctx.native, body)
                ctx._inputs = None
        answer, background = await self._produce(plan, ctx)
        return as_response(answer, background)

    async def _produce(self, plan: RoutePlan, ctx: RequestContext) -> tuple[ResponseTuple, Any]:
        native = ctx.native
        limit = plan.max_body_size
        ctx.body_limit = limit
        if plan.has_body:
            check_read(native, limit)  # Starlette's limiter, as FastAPI reads the body
        if plan.decoder is not None and plan.root.decoded_keys is not None and self.telemetry is None:
            ctx.decoded = plan.decode_tree(native, ctx.path_params)  # None: declined, validated below
        if plan.has_body and ctx.decoded is None:
            if plan.body_is_form:
                ctx.form = read_form(native.body, native.headers, plan.form_limits)
                ctx.stack("request").push_async_callback(ctx.form.close)  # uploaded files, after the response
            else:
                try:
                    ctx.body = read_body(native.body, native.headers, plan.strict_content_type)
                except BodyError as error:
                    if error.error is not None:
                        # FastAPI's exc.body here: the document json.loads failed on (the JSONDecodeError's doc)
                        cause = error.__cause__
                        doc = cause.doc if isinstance(cause, json.JSONDecodeError) else native.body
                        if self.telemetry is not None:
                            ctx.request()  # the request's data has the request
                            self.telemetry._validation_failed([error.error], doc, has_body=True)
                        raise RequestValidationError([error.error], body=doc,
                                                     endpoint_ctx=plan.endpoint_ctx) from error
                    raise HTTPException(400, "There was an error parsing the body") from error
        telemetry = self.telemetry
        if telemetry is not None:
            ctx.request()  # the request's data has the request from the start (background tasks see it too)
        if telemetry is None:
            values, errors = await self.solver.solve(plan.root, ctx)
        else:
            telemetry._body_read(ctx.form if ctx.form is not None else (None if ctx.body is MISSING else ctx.body))
            with telemetry._operation(name="dependencies", function=plan.endpoint):
                values, errors = await self.solver.solve(plan.root, ctx)
            telemetry._solved(values, errors)
        if errors:
            body = ctx.form if ctx.form is not None else (None if ctx.body is MISSING else ctx.body)
            if telemetry is not None:
                telemetry._validation_failed(errors, body, has_body=True)
            raise RequestValidationError(errors, body=body, endpoint_ctx=plan.endpoint_ctx)
        if telemetry is not None:
            return await self._produce_observed(plan, ctx, values, telemetry)
        if plan.stream is not None:
            return self._produce_stream(plan, ctx, values)
        if ctx.inline and not (plan.inline_async or (self.inline_sync and not plan.is_async)):
            await TO_TASK  # an endpoint that can suspend, or a def one in a worker thread
        if plan.is_async:
            raw = await plan.endpoint(**values)
        elif self.inline_sync:
            raw = plan.endpoint(**values)
        else:
            from astraapi.concurrency import run_user_sync

            raw = await run_user_sync(plan.endpoint, **values)
        answered = response_answer(raw, ctx)
        if answered is not None:
            return answered
        temporary = ctx.response
        status = temporary.status_code if temporary is not None and temporary.status_code else None
        if plan.is_async or self.inline_sync:
            response = plan.response.render(raw, status)
        else:
            from astraapi.concurrency import run_user_sync

            response = await run_user_sync(plan.response.render, raw, status)
        return with_temporary_headers(response, temporary), ctx.background

    def _produce_stream(self, plan: RoutePlan, ctx: RequestContext, values: dict[str, Any]) -> tuple[Any, Any]:
        """A generator endpoint's answer: the stream, with the temporary Response's status and headers."""
        temporary = ctx.response
        status = temporary.status_code if temporary is not None and temporary.status_code else None
        streamed = generator_response(
            plan.endpoint(**values), mode=plan.stream, is_async=inspect.isasyncgenfunction(plan.endpoint),
            item_adapter=plan.stream_item_adapter, dump_options=plan.response.dump_options,
            endpoint_ctx=plan.endpoint_ctx, response_class=plan.response_class,
            status=status or plan.response.status_code, background=ctx.background,
            extra_headers=list(temporary.raw_headers) if temporary is not None else [])
        return Stream(streamed, streamed.background), streamed.background

    async def _produce_observed(self, plan: RoutePlan, ctx: RequestContext, values: dict[str, Any],
                                telemetry: Any) -> tuple[ResponseTuple, Any]:
        """`_produce`'s endpoint call and serialization inside telemetry's operation spans (a `def`
        endpoint's span starts in its worker thread). Streams, and a Response returned, as `_produce`."""
        from astraapi.background import run_in_threadpool

        if plan.stream is not None:
            return self._produce_stream(plan, ctx, values)
        if plan.is_async:
            with telemetry._operation(name="endpoint", function=plan.endpoint):
                raw = await plan.endpoint(**values)
        elif self.inline_sync:
            raw = telemetry._run_sync_endpoint(plan.endpoint, values)
        else:
            raw = await run_in_threadpool(telemetry._run_sync_endpoint, plan.endpoint, values)
        answered = response_answer(raw, ctx)
        if answered is not None:
            return answered
        temporary = ctx.response
        status = temporary.status_code if temporary is not None and temporary.status_code else None
        with telemetry._operation(name="serialization", function=plan.endpoint):
            if plan.is_async or self.inline_sync:
                response = plan.response.render(raw, status)
            else:
                response = await run_in_threadpool(plan.response.render, raw, status)
        return with_temporary_headers(response, temporary), ctx.background

    # ------------------------------------------------------------------ async endpoints

    def _start_async(self, plan: RoutePlan, values: dict[str, Any], request: Any) -> ResponseTuple | None:
        coro = self._run_async(plan, values)
        if not plan.inline_async:
            return run_as_task(plan, coro, request)
        context = contextvars.copy_context()
        try:
            pending = context.run(coro.send, None)
        except StopIteration as stop:
            result = stop.value
            if isinstance(result, Stream):
                start_stream(request, result, plan)
                return None
            return sent_now(result, plan)
        except asyncio.CancelledError as error:  # what a task would report for it
            return internal_error(f"{plan.label} was cancelled before it answered", error)
        task = continue_in_task(asyncio.get_running_loop(), coro, pending, context)  # a safeguard: it suspended
        task.add_done_callback(functools.partial(respond_later, request, plan))
        return None

    async def _run_async(self, plan: RoutePlan, values: dict[str, Any]) -> ResponseTuple:
        try:
            return rendered_answer(plan, await plan.endpoint(**values))
        except Exception as error:
            return failed_answer(plan, error)

    # ------------------------------------------------------------------ sync endpoints

    def _start_sync(self, plan: RoutePlan, values: dict[str, Any], request: Any) -> None:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        future = loop.run_in_executor(sync_pool(), context.run, run_sync, plan, values)
        future.add_done_callback(functools.partial(respond_later, request, plan))
        return None
