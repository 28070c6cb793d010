"""The Executor: the handler the server calls for each matched request.

`Executor(app, ir, compiled_serializers)` prepares one `RoutePlan` per route at
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
`request.respond(...)` (see docs/internals.md, "The handler contract").

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
import copy
import datetime
import functools
import inspect
import sys
import uuid
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.introspection.annotations import path_param_names
from astraapi.introspection.app import analyze_app, analyze_route
from astraapi.introspection.records import RouteAnalysis
from astraapi.ir.nodes import AppIR, RouteIR
from astraapi.engine.body import MISSING, BodyError, read_body
from astraapi.engine.dependencies import NodePlan, RequestContext, Solver
from astraapi.engine.errors import validation_error_tuple
from astraapi.engine.form import read_form
from astraapi.engine.handlers import ExceptionDispatcher
from astraapi.engine.direct import direct_route
from astraapi.engine.inline import continue_in_task, never_suspends, resume_coroutine
from astraapi.engine.mounts import MountPlan
from astraapi.engine.params import PATH_CONVERTORS, ParamPlan, RequestInputs, apply_json_body, request_path_params
from astraapi.engine.responses import (
    INTERNAL_SERVER_ERROR,
    ResponseTuple,
    error_logger,
    from_response,
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
from astraapi.engine.streaming import Stream, generator_response, is_streamed, send_streamed
from astraapi.engine.websocket import start_websocket
from astraapi.concurrency import sync_pool
from astraapi.exceptions import AstraAPIError, HTTPException, RequestValidationError, StarletteHTTPException
from astraapi.requests import Request
from astraapi.responses import Response
from astraapi.routing import Default

EAGER_TASKS = sys.version_info >= (3, 12)

_LOCATION_ORDER = {"query": 0, "header": 1, "cookie": 2}
_SCALARS = (str, int, float, bool, type(None))  # a list of these is deep-copied by list()

# A compiled request decoder: (raw query string, path parameters[, body, headers]) -> keyword
# arguments, or None when it declines that request (see runtime_cpp/include/astraapi/abi.h).
# A route with a body parameter gets a decoder only when the generated code decodes its body.
CompiledDecoder = Callable[..., "dict[str, Any] | None"]

def _native_dumps() -> Callable[[Any], bytes] | None:
    try:
        from astraapi import _runtime  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(_runtime, "dumps", None)


def _unchanged_by_deepcopy(value: Any) -> bool:
    """A default FastAPI's deep copy leaves as it is (an enum member, a Decimal), or an immutable
    value it copies into an equal one (uuid, date, datetime): the decoder's caller may share it."""
    if type(value) in (uuid.UUID, datetime.date, datetime.datetime):
        return True
    try:
        return copy.deepcopy(value) is value
    except Exception:  # noqa: BLE001 - any failure: not shareable, the decoder is not used
        return False


class RoutePlan:
    """Everything one route does per request, prepared once."""

    __slots__ = ("ir", "endpoint", "is_async", "path_plans", "input_plans", "body_plans", "body_aliases",
                 "body_embedded", "request_param", "path_names", "response", "label", "root", "simple",
                 "has_body", "body_is_form", "endpoint_ctx", "app", "decoder", "decoder_defaults",
                 "decoder_reads_body", "decoder_reads_headers", "decoder_copied_defaults", "stream",
                 "stream_item_adapter", "response_class", "strict_content_type", "max_body_size",
                 "form_limits", "inline_async", "websocket")

    def __init__(self, route: RouteIR, live: RouteAnalysis, response: ResponsePlan, app: Any = None) -> None:
        self.ir = route
        self.app = app
        self.websocket = route.methods == ("WEBSOCKET",)  # engine/websocket.py runs it
        self.endpoint = live.route.endpoint
        self.is_async = route.is_async
        # Its first step is its whole run: no task needed (engine/inline.py).
        self.inline_async = self.is_async and never_suspends(self.endpoint)
        self.response = response
        self.label = f"{live.ir.endpoint} ({'/'.join(route.methods)} {route.path})"
        self.endpoint_ctx = dict(response.endpoint_ctx, path=f"{'/'.join(route.methods)} {route.path}")
        dependant = live.dependant
        assert dependant is not None
        self.root = NodePlan(dependant, route.path, route.body_embedded)
        self.simple = not dependant.dependencies and not route.body_is_form and all(
            p.location in ("path", "query", "header", "cookie", "body", "request") for p in route.params)
        self.has_body = any(p.ir.location == "body" for n in dependant.walk() for p in n.params)
        self.stream = live.stream  # a generator endpoint: "jsonl" or "raw" (engine/streaming.py)
        self.stream_item_adapter = live.stream_item_adapter
        self.response_class = live.route.response_class
        if self.stream is not None:
            self.simple = False
        self.body_is_form = route.body_is_form
        live_params = {p.ir.name: p for p in live.params}
        self.path_names = tuple(name for name, _ in path_param_names(route.path))
        convertors = dict(path_param_names(route.path))

        path_plans: list[tuple[int, Callable[[str], Any], ParamPlan]] = []
        input_plans: list[tuple[int, ParamPlan]] = []
        body_plans: list[ParamPlan] = []
        body_aliases: list[str] = []
        self.request_param: str | None = None
        for param in route.params:
            if param.location == "request":
                self.request_param = param.name
                continue
            if param.location in ("response", "background_tasks", "security_scopes"):
                continue  # only the general path (NodePlan) fills these
            current = live_params.get(param.name)
            if current is None or current.adapter is None or current.field_info is None:
                raise AstraAPIError(f"{self.label}: the IR's parameter {param.name!r} is not in the app's endpoint")
            if param.location == "path":
                position = self.path_names.index(param.alias if param.alias in self.path_names else param.name)
                plan = ParamPlan(param, current.adapter, current.field_info, ("path", param.alias))
                path_plans.append((position, PATH_CONVERTORS.get(convertors[self.path_names[position]], str), plan))
            elif param.location == "body":
                loc = ("body", param.alias) if param.embed else ("body",)
                body_plans.append(ParamPlan(param, current.adapter, current.field_info, loc))
                body_aliases.append(param.alias)
            else:
                plan = ParamPlan(param, current.adapter, current.field_info, (param.location, param.alias),
                                 current.group)
                input_plans.append((_LOCATION_ORDER[param.location], plan))
        self.path_plans = tuple(path_plans)
        # FastAPI validates path, then query, header, cookie, then body parameters.
        self.input_plans = tuple(plan for _, plan in sorted(input_plans, key=lambda item: item[0]))
        self.body_plans = tuple(body_plans)
        self.body_aliases = tuple(body_aliases)
        self.body_embedded = route.body_embedded
        self.decoder: CompiledDecoder | None = None
        self.decoder_defaults: dict[str, Any] = {}
        self.decoder_reads_body = False
        self.decoder_reads_headers = False
        self.decoder_copied_defaults: tuple[tuple[str, list[Any]], ...] = ()
        self.strict_content_type = True  # the app's setting, from the AppIR (Executor sets it)

    def bind_decoder(self, decoder: CompiledDecoder | None) -> None:
        """Use a compiled decoder for this route's path, query, header and cookie parameters,
        when the defaults it leaves to the engine are plain values (no factories or validation;
        a list of immutable values is copied per request, as FastAPI's deep copy gives it)."""
        plans = [plan for _, _, plan in self.path_plans] + list(self.input_plans)
        if (decoder is None or not self.simple or self.body_is_form
                or any(plan.loc[0] not in ("path", "query", "header", "cookie") for plan in plans)):
            return
        defaults = {}
        copied = []
        for plan in plans:
            if plan.required:
                continue
            if plan.default_factory is not None or plan.validate_default:
                return
            if plan.copy_default and not _unchanged_by_deepcopy(plan.default):
                if type(plan.default) is not list or not all(type(v) in _SCALARS for v in plan.default):
                    return
                copied.append((plan.name, plan.default))
                continue
            defaults[plan.name] = plan.default
        self.decoder = decoder
        self.decoder_defaults = defaults
        self.decoder_copied_defaults = tuple(copied)
        self.decoder_reads_body = bool(self.body_plans)  # the build decodes this route's JSON body
        self.decoder_reads_headers = self.decoder_reads_body or any(
            plan.loc[0] in ("header", "cookie") for plan in plans)

    def root_path_names(self) -> tuple[str, ...]:
        return self.path_names

    def solve(self, request: Any, path_params: tuple[str, ...]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validated endpoint arguments and the errors, all of them. Raises BodyError."""
        if self.decoder is not None:
            if self.decoder_reads_headers:
                decoded = self.decoder(request.query_string, path_params,
                                       request.body if self.decoder_reads_body else None, request.headers)
            else:
                decoded = self.decoder(request.query_string, path_params)
            if decoded is not None:  # None: declined, the generic path below decides
                values = {**self.decoder_defaults, **decoded}
                for name, default in self.decoder_copied_defaults:
                    if name not in decoded:
                        values[name] = list(default)
                if self.request_param is not None:
                    values[self.request_param] = self._request_object(request, path_params)
                return values, []
        body = MISSING
        if self.body_plans:
            # a JSON error stops everything, as in FastAPI
            body = read_body(request.body, request.headers, self.strict_content_type)
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for position, convert, plan in self.path_plans:
            plan.apply(convert(path_params[position]), values, errors)
        if self.input_plans:
            inputs = RequestInputs(request)
            for plan in self.input_plans:
                plan.apply(plan.read(inputs), values, errors)
        if self.body_plans:
            apply_json_body(body, self.body_plans, self.body_aliases, self.body_embedded, values, errors)
        if self.request_param is not None:
            values[self.request_param] = self._request_object(request, path_params)
        return values, errors

    def _request_object(self, request: Any, path_params: tuple[str, ...]) -> Request:
        router = getattr(self.app, "router", None)
        return Request(request, request_path_params(self.ir.path, self.path_names, path_params), app=self.app,
                       state=getattr(router, "lifespan_state", None))


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
    ) -> None:
        self.app = app
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
        self.routes_unmatched = self.dispatcher.answers_router_errors()
        # astraapi.telemetry._api when serving records telemetry (server.serve.prepare sets it): every
        # route then takes the general path, where the operation spans are. None: no cost at all.
        self.telemetry: Any = None
        self._direct_sink: Callable[..., None] | None = None

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
            task = asyncio.get_running_loop().create_task(_awaited_direct(plan, resume_coroutine(coro, pending)), context=context)
            task.add_done_callback(functools.partial(_respond_later, request, plan))
            return None
        if outcome == 3:  # an endpoint that can suspend: its coroutine, not started, runs as a task
            return _run_as_task(plan, _awaited_direct(plan, value), request)
        try:
            result = _failed(plan, value) if outcome == 1 else _rendered(plan, value)
        except Exception as error:
            result = internal_error(f"Exception in {plan.label}", error)
        if isinstance(result, Stream):
            _start_stream(request, result, plan)
            return None
        return _sent_now(result, plan)

    def _checked_plan(self, route: RouteIR, live: RouteAnalysis) -> RoutePlan | MountPlan:
        """The plan of IR route `route` from the app's analysis of the same index (eager start-up)."""
        if route.mount is not None and route.mount != "frontend-guarded":
            if live.ir.mount != route.mount or live.ir.path != route.path:
                raise AstraAPIError(f"IR route {route.index} is a {route.mount} mount at {route.path}, but the "
                                    f"app's route {route.index} is not; rebuild the IR")
            return MountPlan(route, live.route, self.app)  # type: ignore[arg-type]
        if live.ir.endpoint != route.endpoint or live.ir.path != route.path:
            raise AstraAPIError(
                f"IR route {route.index} is {route.endpoint} at {route.path}, but the app's route "
                f"{route.index} is {live.ir.endpoint} at {live.ir.path}; rebuild the IR"
            )
        return self._make_plan(route, live, compiled=True)

    def _make_plan(self, route: RouteIR, live: RouteAnalysis, compiled: bool) -> RoutePlan:
        response_class = None if live.route.response_class is Default else live.route.response_class
        endpoint_ctx = {"file": live.source_file, "line": live.source_line,
                        "function": getattr(live.route.endpoint, "__name__", route.name)}
        response = ResponsePlan(
            route,
            live.response_adapter if route.response_model is not None else None,
            response_class,
            self._compiled_serializers.get(route.index) if compiled else None,
            self._default_dumps,
            endpoint_ctx,
        )
        response.compiled_encoder = self._compiled_encoders.get(route.index) if compiled else None
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
            mount = MountPlan(route, live.route, self.app)  # type: ignore[arg-type]
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
                return 307, [(b"content-length", b"0"), (b"location", path_params[0].encode("latin-1"))], b""
            if route_index not in (NOT_FOUND_ROUTE, METHOD_NOT_ALLOWED_ROUTE):
                raise
            task = asyncio.get_running_loop().create_task(self._run_unmatched(request, route_index, path_params))
            task.add_done_callback(_report_unmatched_crash)
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
            task = asyncio.get_running_loop().create_task(self._run_full(plan, request, path_params))
            task.add_done_callback(functools.partial(_report_crash, plan))
            return None
        try:
            values, errors = plan.solve(request, path_params)
            if errors:
                return validation_error_tuple(errors)
            if plan.is_async:
                return self._start_async(plan, values, request)
            if self.inline_sync:
                return _sent_now(_run_sync(plan, values), plan)
            return self._start_sync(plan, values, request)
        except BodyError as error:
            if error.error is not None:
                return validation_error_tuple([error.error])
            return http_exception_tuple(400, "There was an error parsing the body", None)
        except Exception as error:
            return internal_error(f"Exception while handling {plan.label}", error)

    # ------------------------------------------------------------------ the general path

    async def _run_full(self, plan: RoutePlan, native: Any, path_params: tuple[str, ...]) -> None:
        answered = [False]

        def on_send() -> None:
            answered[0] = True

        telemetry = self.telemetry
        if telemetry is not None:
            telemetry._task_started()  # the request's data stays until this task ends (background tasks)
        try:
            await self._run_request(plan, native, path_params, on_send)
        except BaseException as error:  # a bug here must still answer the client, then surface
            if not answered[0]:
                _send(native, internal_error(f"Unexpected error while serving {plan.label}", error), plan)
            if not isinstance(error, Exception):
                raise
        finally:
            if telemetry is not None:
                telemetry._task_ended()

    async def _run_request(self, plan: RoutePlan, native: Any, path_params: tuple[str, ...],
                           on_send: Callable[[], None]) -> None:
        """One request, as FastAPI's request_response + get_request_handler run it.

        The request exit stack encloses the function exit stack, which encloses solving the
        dependencies, the endpoint call and serialization. Without an exception: function-scoped
        `yield` dependencies exit, the response is sent, background tasks run, then
        request-scoped ones exit. With one: both stacks unwind with it (dependencies see it at
        their `yield`), then the exception handlers answer. An exception raised after the
        response was sent is only logged."""
        ctx = RequestContext(native, path_params, plan.root_path_names(), self.app, plan.ir.path)
        sent = False
        swallowed = True
        try:
            async with AsyncExitStack() as request_stack:
                ctx.request_stack = request_stack
                produced = None
                async with AsyncExitStack() as function_stack:
                    ctx.function_stack = function_stack
                    produced = await self._produce(plan, ctx)
                if produced is None:
                    raise AstraAPIError(
                        f"{plan.label}: no response was produced (a dependency with yield and scope "
                        f'"function" caught the exception and did not raise it again)')
                response, background = produced
                if _over_declared_limit(native, plan.max_body_size):
                    # Starlette's limiter replaces any answer once it starts when the declared length is over.
                    if isinstance(response, Stream):
                        await _close_stream(response)
                    response, background = CONTENT_TOO_LARGE, None
                on_send()
                if isinstance(response, Stream):
                    try:
                        await send_streamed(native, response.response, plan.label)
                    except Exception:
                        sent = bool(native.responded)  # after the head: only logged
                        raise
                else:
                    _send(native, response, plan)
                sent = True
                if background is not None:
                    await background()
                swallowed = False
        except Exception as error:
            if sent:
                error_logger.error("Exception after the response of %s was sent", plan.label, exc_info=error)
                report_server_error(error)  # a test client raises it, as FastAPI's in-process one does
                return
            (response, background) = await self.dispatcher.outcome(error, ctx.request(), plan.label)
            if _over_declared_limit(native, plan.max_body_size):
                if isinstance(response, Stream):
                    await _close_stream(response)
                response, background = CONTENT_TOO_LARGE, None
            on_send()
            if isinstance(response, Stream):
                try:
                    await send_streamed(native, response.response, plan.label)
                except Exception as stream_error:
                    if not native.responded:
                        _send(native, internal_error(f"Exception in the error response of {plan.label}",
                                                     stream_error), plan)
                    else:
                        error_logger.error("Exception while streaming the error response of %s", plan.label,
                                           exc_info=stream_error)
                    return
            else:
                _send(native, response, plan)
            if background is not None:
                try:
                    await background()
                except Exception as bg_error:
                    error_logger.error("Exception in a background task of %s", plan.label, exc_info=bg_error)
            return
        if swallowed:  # an exception vanished in a yield dependency's exit code (FastAPI's FastAPIError)
            error_logger.error(
                "Response not awaited for %s: a dependency with yield caught the exception and did not raise "
                "it again (see FastAPI's docs on dependencies with yield and except)", plan.label)
            if not sent:
                on_send()
                _send(native, INTERNAL_SERVER_ERROR, plan)

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
        if _over_declared_limit(native, self.max_body_size):
            if isinstance(response, Stream):
                await _close_stream(response)
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

    async def _produce(self, plan: RoutePlan, ctx: RequestContext) -> tuple[ResponseTuple, Any]:
        native = ctx.native
        limit = plan.max_body_size
        if plan.has_body and limit is not None and len(native.body) > limit:
            raise HTTPException(413, "Content Too Large")  # Starlette's RequestBodyLimitMiddleware, as FastAPI raises it
        if plan.has_body:
            if plan.body_is_form:
                ctx.form = read_form(native.body, native.headers, plan.form_limits)
                if ctx.request_stack is not None:
                    ctx.request_stack.push_async_callback(ctx.form.close)  # uploaded files, after the response
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
        if plan.is_async:
            raw = await plan.endpoint(**values)
        elif self.inline_sync:
            raw = plan.endpoint(**values)
        else:
            from astraapi.concurrency import run_in_threadpool

            raw = await run_in_threadpool(plan.endpoint, **values)
        answered = _response_answer(raw, ctx)
        if answered is not None:
            return answered
        temporary = ctx.response
        status = temporary.status_code if temporary is not None and temporary.status_code else None
        if plan.is_async or self.inline_sync:
            response = plan.response.render(raw, status)
        else:
            from astraapi.concurrency import run_in_threadpool

            response = await run_in_threadpool(plan.response.render, raw, status)
        return _with_temporary_headers(response, temporary), ctx.background

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
        answered = _response_answer(raw, ctx)
        if answered is not None:
            return answered
        temporary = ctx.response
        status = temporary.status_code if temporary is not None and temporary.status_code else None
        with telemetry._operation(name="serialization", function=plan.endpoint):
            if plan.is_async or self.inline_sync:
                response = plan.response.render(raw, status)
            else:
                response = await run_in_threadpool(plan.response.render, raw, status)
        return _with_temporary_headers(response, temporary), ctx.background

    # ------------------------------------------------------------------ async endpoints

    def _start_async(self, plan: RoutePlan, values: dict[str, Any], request: Any) -> ResponseTuple | None:
        coro = self._run_async(plan, values)
        if not plan.inline_async:
            return _run_as_task(plan, coro, request)
        context = contextvars.copy_context()
        try:
            pending = context.run(coro.send, None)
        except StopIteration as stop:
            result = stop.value
            if isinstance(result, Stream):
                _start_stream(request, result, plan)
                return None
            return _sent_now(result, plan)
        except asyncio.CancelledError as error:  # what a task would report for it
            return internal_error(f"{plan.label} was cancelled before it answered", error)
        task = continue_in_task(asyncio.get_running_loop(), coro, pending, context)  # a safeguard: it suspended
        task.add_done_callback(functools.partial(_respond_later, request, plan))
        return None

    async def _run_async(self, plan: RoutePlan, values: dict[str, Any]) -> ResponseTuple:
        try:
            return _rendered(plan, await plan.endpoint(**values))
        except Exception as error:
            return _failed(plan, error)

    # ------------------------------------------------------------------ sync endpoints

    def _start_sync(self, plan: RoutePlan, values: dict[str, Any], request: Any) -> None:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        future = loop.run_in_executor(sync_pool(), context.run, _run_sync, plan, values)
        future.add_done_callback(functools.partial(_respond_later, request, plan))
        return None


CONTENT_TOO_LARGE: ResponseTuple = (
    413, [(b"content-length", b"17"), (b"content-type", b"text/plain; charset=utf-8")], b"Content Too Large")


def _declared_length(native: Any) -> int:
    for name, value in native.headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return -1


async def _close_stream(stream: Stream) -> None:
    iterator = getattr(stream.response, "body_iterator", None)
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


def _eager_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[ResponseTuple]:
    """A task that runs `coro` right now until it first suspends (Python 3.12+).

    `loop.create_task` takes `eager_start` only from Python 3.14; before that the Task
    constructor does.
    """
    if sys.version_info >= (3, 14):
        return loop.create_task(coro, eager_start=True)  # type: ignore[call-arg]
    return asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg]


def _run_sync(plan: RoutePlan, values: dict[str, Any]) -> ResponseTuple:
    try:
        return _rendered(plan, plan.endpoint(**values))
    except Exception as error:
        return _failed(plan, error)


def _run_as_task(plan: RoutePlan, coro: Any, request: Any) -> ResponseTuple | None:
    """Run `coro` (it renders the route's answer) as the request's task: eagerly on Python 3.12+,
    so one that finishes without suspending is answered now."""
    loop = asyncio.get_running_loop()
    if EAGER_TASKS:
        task = _eager_task(loop, coro)
        if task.done():
            result = _task_result(task, plan)
            if isinstance(result, Stream):
                _start_stream(request, result, plan)
                return None
            return _sent_now(result, plan)
    else:
        task = loop.create_task(coro)
    task.add_done_callback(functools.partial(_respond_later, request, plan))
    return None


async def _awaited_direct(plan: RoutePlan, endpoint_coro: Any) -> Any:
    """What `Executor._run_async` does, for an endpoint coroutine the server created (or one that
    suspended after its inline first step: `resume_coroutine(coro, pending)`)."""
    try:
        return _rendered(plan, await endpoint_coro)
    except Exception as error:
        return _failed(plan, error)


def _rendered(plan: RoutePlan, raw: Any) -> Any:
    """What an endpoint's return value becomes: a response tuple, a Stream, or _After."""
    if starlette_compat.FOREIGN_RESPONSES and isinstance(raw, starlette_compat.FOREIGN_RESPONSES):
        raw = starlette_compat.adopt_response(raw)
    if is_streamed(raw):
        return Stream(raw, raw.background)
    if isinstance(raw, Response) and raw.background is not None:
        return _After(from_response(raw), raw.background)
    return plan.response.render(raw)


def _failed(plan: RoutePlan, error: BaseException) -> ResponseTuple:
    if isinstance(error, StarletteHTTPException) or starlette_compat.is_http_exception(error):
        return http_exception_tuple(error.status_code, error.detail, error.headers)
    if isinstance(error, asyncio.CancelledError):  # what a task would report for it
        return internal_error(f"{plan.label} was cancelled before it answered", error)
    return internal_error(f"Exception in {plan.label}", error)


def _task_result(task: asyncio.Future[ResponseTuple], plan: RoutePlan) -> ResponseTuple:
    if task.cancelled():
        return internal_error(f"{plan.label} was cancelled before it answered", asyncio.CancelledError())
    error = task.exception()
    if error is not None:  # only BaseExceptions other than Exception get here
        return internal_error(f"Exception in {plan.label}", error)
    return task.result()


def _respond_later(request: Any, plan: RoutePlan, task: asyncio.Future[ResponseTuple]) -> None:
    result = _task_result(task, plan)
    if isinstance(result, Stream):
        _start_stream(request, result, plan)
        return
    status, headers, body = result.response if isinstance(result, _After) else result
    try:
        request.respond(status, headers, body)
    except Exception as error:
        error_logger.error("Could not send the response of %s", plan.label, exc_info=error)
    if isinstance(result, _After):
        _start_background(result.background, plan)


def _start_stream(native: Any, stream: Stream, plan: RoutePlan) -> None:
    async def run() -> None:
        try:
            complete = await send_streamed(native, stream.response, plan.label)
        except Exception as error:
            if not native.responded:
                _send(native, internal_error(f"Exception in {plan.label}", error), plan)
            else:
                error_logger.error("Exception while streaming the response of %s", plan.label, exc_info=error)
                report_server_error(error)  # a test client raises it, as on the general path
            return
        del complete  # a client that went away still gets the background work run, as in Starlette
        if stream.background is not None:
            try:
                await stream.background()
            except Exception as error:
                error_logger.error("Exception in a background task of %s", plan.label, exc_info=error)

    task = asyncio.get_running_loop().create_task(run())
    task.add_done_callback(functools.partial(_report_crash, plan))


class _After:
    """A response whose Response object carries background work to run once it is sent."""

    __slots__ = ("response", "background")

    def __init__(self, response: ResponseTuple, background: Any) -> None:
        self.response = response
        self.background = background


def _with_temporary_headers(response: Any, temporary: Response | None) -> Any:
    """A rendered answer with the headers set on the endpoint's temporary Response added."""
    if temporary is None or not temporary.raw_headers:
        return response
    if isinstance(response, Stream):
        response.response.raw_headers.extend(temporary.raw_headers)
        return response
    code, headers, body = response
    if headers is None:
        headers = [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", b"application/json")]
    return (code, [*headers, *temporary.raw_headers], body)


def _sent_now(result: Any, plan: RoutePlan) -> ResponseTuple:
    if isinstance(result, _After):
        # The server writes the returned response before the loop runs this task.
        _start_background(result.background, plan)
        return result.response
    return result


def _start_background(background: Any, plan: RoutePlan) -> None:
    async def run() -> None:
        try:
            await background()
        except Exception as error:
            error_logger.error("Exception in a background task of %s", plan.label, exc_info=error)

    asyncio.get_running_loop().create_task(run())


def _report_crash(plan: RoutePlan, task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error_logger.error("Unexpected error while serving %s", plan.label, exc_info=task.exception())


def _over_declared_limit(native: Any, limit: int | None) -> bool:
    return limit is not None and _declared_length(native) > limit


def _report_unmatched_crash(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error_logger.error("Unexpected error while answering an unmatched request", exc_info=task.exception())


def _send(native: Any, response: ResponseTuple, plan: RoutePlan) -> None:
    status, headers, body = response
    try:
        native.respond(status, headers, body)
    except Exception as error:
        error_logger.error("Could not send the response of %s", plan.label, exc_info=error)


def _response_answer(raw: Any, ctx: RequestContext) -> tuple[Any, Any] | None:
    """A Response (AstraAPI's, or Starlette's adopted) returned by the endpoint, answered as it is with the
    request's background tasks; None for any other value (rendered by the route's response plan)."""
    if starlette_compat.FOREIGN_RESPONSES and isinstance(raw, starlette_compat.FOREIGN_RESPONSES):
        raw = starlette_compat.adopt_response(raw)
    if not isinstance(raw, Response):
        return None
    if raw.background is None:
        raw.background = ctx.background
    if is_streamed(raw):
        return Stream(raw, raw.background), raw.background
    return from_response(raw), raw.background
