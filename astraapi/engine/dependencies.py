"""Solving a route's dependency tree per request, as FastAPI 0.165 does.

Each node (the endpoint, or one `Depends`) is a `NodePlan` prepared once from the
introspected tree. Per request, `solve(node, ctx)` mirrors FastAPI's `solve_dependencies`:

- sub-dependencies first, in declaration order, each solved recursively (its parameters
  are validated every time it appears, so errors repeat as in FastAPI); one with errors is
  not called, the others still are;
- a value already computed in this request is reused (the cache key is the callable, the
  scopes when the dependency uses them, and its computed scope), unless `use_cache=False`;
- `yield` dependencies are entered on the request's exit stack (or the function's, with
  `scope="function"`): sync ones in the thread pool, async ones on the loop;
- plain `def` dependencies (and classes) run in the thread pool, `async def` ones are awaited;
  `max_concurrency` holds a per-loop semaphore around the call (until exit for `yield`);
- then the node's own path, query, header, cookie and body parameters, then the special
  ones (Request, Response, BackgroundTasks, SecurityScopes);
- `app.dependency_overrides` is read per request: an overridden callable is analysed once
  (per original node and replacement) and solved in the original's place.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import sys
import threading
import weakref
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.background import BackgroundTasks
from astraapi.concurrency import run_in_threadpool, run_user_sync
from astraapi.introspection.records import DependantAnalysis
from astraapi.engine.body import MISSING
from astraapi.engine.inline import TO_TASK, call_never_suspends, plain_sync_call
from astraapi.engine.form import field_value, form_value, read_whole_form, upload_contents
from astraapi.engine.params import (
    ChosenValue,
    ParamPlan,
    RequestInputs,
    apply_json_body,
    path_plan,
    request_path_params,
)
from astraapi.exceptions import AstraAPIError
from astraapi.requests import Request
from astraapi.responses import Response

_LOCATION_ORDER = {"query": 0, "header": 1, "cookie": 2}


class NodePlan:
    """How to fill one dependant's own parameters, and its sub-dependencies' plans."""

    __slots__ = ("node", "call", "name", "kind", "use_cache", "scope", "cache_key", "concurrency",
                 "path_plans", "input_plans", "body_plans", "body_aliases", "body_embedded", "specials",
                 "effective_scopes", "dependencies", "label", "form_models", "file_bytes", "inline",
                 "reader", "plain_sync",
                 "decoded_keys", "decoded_defaults", "decoded_copies", "decoded_body")

    def __init__(self, node: DependantAnalysis, path: str, body_embedded: bool) -> None:
        from astraapi.introspection.annotations import endpoint_ref, path_param_names

        self.node = node
        self.call = node.call
        self.name = node.name
        self.kind = node.kind
        self.use_cache = node.use_cache
        self.scope = node.scope
        self.cache_key = node.cache_key
        self.concurrency = node.concurrency
        self.effective_scopes = list(node.effective_scopes)
        # Its call runs without a task (a request driven inline keeps going inline: Executor._drive_inline).
        # A `def` whose call runs nothing but its own plain code: called on the loop (inline.plain_sync_call).
        self.plain_sync = node.kind == "function" and node.concurrency is None and plain_sync_call(node.call)
        self.inline = node.concurrency is None and (self.plain_sync or call_never_suspends(node.call, node.kind))
        # A security scheme of astraapi.security: its value read straight from the request's inputs.
        self.reader = scheme_reader(node.call) if node.concurrency is None else None
        self.label = node.ir.call if node.ir is not None else endpoint_ref(node.call)
        self.body_embedded = body_embedded
        path_names = tuple(name for name, _ in path_param_names(path))
        convertors = dict(path_param_names(path))
        path_plans: list[tuple[int, Callable[[str], Any], ParamPlan]] = []
        input_plans: list[tuple[int, ParamPlan]] = []
        body_plans: list[ParamPlan] = []
        body_aliases: list[str] = []
        form_models: list[Any] = []
        file_bytes: list[bool] = []
        specials: list[tuple[str, str]] = []
        for live in node.params:
            param = live.ir
            if live.adapter is None or live.field_info is None:
                specials.append((param.location, param.name))
                continue
            if param.location == "path":
                plan = ParamPlan(param, live.adapter, live.field_info, ("path", param.alias))
                path_plans.append(path_plan(path_names, convertors, plan, param.alias))
            elif param.location == "body":
                whole = bool(live.form_models)
                # a form field is located under its key even where the route's body is not embedded
                # (a dependency override can add one)
                loc = ("body", param.alias) if (param.embed or param.is_form) and not whole else ("body",)
                body_plans.append(ParamPlan(param, live.adapter, live.field_info, loc))
                body_aliases.append(param.alias)
                form_models.append(_FormReader(live) if param.is_form else None)
                file_bytes.append(live.reads_file_bytes)
            else:
                plan = ParamPlan(param, live.adapter, live.field_info, (param.location, param.alias), live.group)
                input_plans.append((_LOCATION_ORDER[param.location], plan))
        self.path_plans = tuple(path_plans)
        self.input_plans = tuple(plan for _, plan in sorted(input_plans, key=lambda item: item[0]))
        self.body_plans = tuple(body_plans)
        self.body_aliases = tuple(body_aliases)
        self.form_models = tuple(form_models)
        self.file_bytes = tuple(file_bytes)
        self.specials = tuple(specials)
        self.dependencies = tuple(NodePlan(sub, path, body_embedded) for sub in node.dependencies)
        # Set by RoutePlan.bind_decoder when the build's request decoder decodes this node's parameters:
        # (key in the decoded values, argument name), the defaults it leaves to the engine (shared, or
        # lists copied per request), and whether the body parameters are decoded too.
        self.decoded_keys: tuple[tuple[str, str], ...] | None = None
        self.decoded_defaults: dict[str, Any] = {}
        self.decoded_copies: tuple[tuple[str, list[Any]], ...] = ()
        self.decoded_body = False

    def walk(self) -> Any:
        """This node, then each dependency's subtree: the numbering of ir.nodes.dependency_nodes."""
        yield self
        for sub in self.dependencies:
            yield from sub.walk()

    def solve_own(self, ctx: RequestContext, values: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        decoded = ctx.decoded
        if decoded is not None and self.decoded_keys is not None:  # the build's decoder read them
            values.update(self.decoded_defaults)
            for key, name in self.decoded_keys:
                if key in decoded:
                    values[name] = decoded[key]
            for name, default in self.decoded_copies:
                if name not in values:
                    values[name] = list(default)
            if self.body_plans and not self.decoded_body:
                self._solve_body(ctx, values, errors)
            for location, name in self.specials:
                values[name] = ctx.special(location, self)
            return
        for position, convert, plan in self.path_plans:
            plan.apply(convert(ctx.path_params[position]) if position >= 0 else MISSING, values, errors)
        if self.input_plans:
            inputs = ctx.inputs()
            for plan in self.input_plans:
                plan.apply(plan.read(inputs), values, errors)
        if self.body_plans:
            self._solve_body(ctx, values, errors)
        for location, name in self.specials:
            values[name] = ctx.special(location, self)

    def _solve_body(self, ctx: RequestContext, values: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        if ctx.form is not None:
            for alias, plan, reader, as_bytes in zip(self.body_aliases, self.body_plans, self.form_models,
                                                     self.file_bytes):
                raw = form_value(ctx.form, alias, plan.is_sequence) if reader is None else reader.read(ctx.form)
                if as_bytes and raw is not MISSING:
                    if isinstance(raw, ChosenValue):
                        raw.value = upload_contents(raw.value)
                    else:
                        raw = upload_contents(raw)
                plan.apply(raw, values, errors)
            return
        apply_json_body(ctx.body, self.body_plans, self.body_embedded, values, errors)


def scheme_reader(call: Any) -> Callable[[RequestInputs], Any] | None:
    """For a security scheme whose `__call__` is astraapi.security's own: a function of the request's
    inputs giving what that `__call__` gives (its value, or the HTTPException it raises), reading the
    header, query parameter or cookie from the raw request, as `Request.headers` / `.query_params` /
    `.cookies` would (the first header, the last query value, the cookie header parsed). None otherwise."""
    security = sys.modules.get("astraapi.security.base")
    if security is None or not isinstance(call, security.SecurityBase):
        return None
    method = getattr(type(call), "__call__", None)
    if not getattr(method, "__module__", "").startswith("astraapi.security."):
        return None  # a subclass's own __call__: called as any dependency
    location, name = call._source()
    answer = call._answer
    if location == "header":
        key = name.lower().encode("latin-1")
        return lambda inputs: answer(inputs.header(key))
    if location == "query":
        return lambda inputs: answer(inputs.query().get(name))
    if location == "cookie":
        return lambda inputs: answer(inputs.cookies().get(name))
    return None


class _FormReader:
    """How a Form() parameter's raw value is read from the form (astraapi/introspection/forms.py):
    from the whole form for a model or a union of models, else from the first of its keys with a
    value (errors located under that key when it has several)."""

    __slots__ = ("models", "optional", "field")

    def __init__(self, live: Any) -> None:
        from typing import get_args

        self.models = live.form_models
        self.optional = type(None) in get_args(live.field_info.annotation)
        self.field = live.form_field

    def read(self, form: Any) -> Any:
        if self.models:
            return read_whole_form(self.models, self.optional, form)
        key, value = field_value(form, self.field)
        if value is MISSING or len(self.field.aliases) == 1:
            return value
        return ChosenValue(value, key)


class RequestContext:
    """Per-request state shared by every node: parsed inputs, the body, the dependency cache,
    the exit stacks, the temporary Response, the BackgroundTasks, the Request object."""

    __slots__ = ("native", "path_params", "path_names", "app", "body", "form", "cache", "request_stack",
                 "function_stack", "response", "background", "_inputs", "_request", "overrides", "route_path",
                 "body_limit", "gate", "request_exits", "in_caller", "cleanup_scope", "inline", "decoded")

    def __init__(self, native: Any, path_params: tuple[str, ...], path_names: tuple[str, ...], app: Any,
                 route_path: str) -> None:
        self.native = native
        self.path_params = path_params
        self.path_names = path_names
        self.app = app
        self.route_path = route_path
        self.body: Any = MISSING
        self.form: Any = None
        self.cache: dict[Any, Any] = {}
        self.request_stack: AsyncExitStack | None = None
        self.function_stack: AsyncExitStack | None = None
        self.response: Response | None = None
        self.background: BackgroundTasks | None = None
        self._inputs: RequestInputs | None = None
        self._request: Request | None = None
        self.body_limit: int | None = None  # the route's max_body_size (astraapi.engine.body_limit)
        # The app's own dict, read at each dependency: an override an earlier dependency installs applies at once.
        overrides = getattr(app, "dependency_overrides", None)
        self.overrides: dict[Any, Any] = overrides if overrides is not None else {}
        self.gate: CleanupGate | None = None
        self.request_exits = False  # a `yield` dependency's exit code runs after the response
        self.in_caller = False  # run in the ASGI call's task (Executor.run_in_caller)
        self.cleanup_scope: Any = None  # that task's anyio scope around yield dependencies' exit code
        # Driven inline, without a task yet (Executor._drive_inline): `await TO_TASK` before code that needs one.
        self.inline = False
        # The build's request decoder's values for the route's dependency tree (RoutePlan.decode_tree), or None.
        self.decoded: dict[str, Any] | None = None

    def stack(self, scope: str | None) -> AsyncExitStack:
        """The exit stack of `yield` dependencies of that scope ("function", else the request's), made on
        first use: a request without `yield` dependencies has none (Executor._run_request unwinds them)."""
        if scope == "function":
            if self.function_stack is None:
                self.function_stack = AsyncExitStack()
            return self.function_stack
        if self.request_stack is None:
            self.request_stack = AsyncExitStack()
        return self.request_stack

    def inputs(self) -> RequestInputs:
        if self._inputs is None:
            self._inputs = RequestInputs(self.native)
        return self._inputs

    def request(self) -> Request:
        if self._request is None:
            router = getattr(self.app, "router", None)
            path_params = request_path_params(self.route_path, self.path_names, self.path_params)
            self._request = Request(self.native, path_params, app=self.app,
                                    state=getattr(router, "lifespan_state", None))
            if self.body_limit is not None:
                self._request._body_limit = self.body_limit
            if self.form is not None:
                self._request._form = self.form  # parsed once, with the route's form_limits (as FastAPI caches it)
            telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
            if telemetry is not None:
                data = telemetry.get_telemetry_data()
                if data is not None:
                    data.request = self._request
        return self._request

    def temporary_response(self) -> Response:
        if self.response is None:
            response = starlette_compat.temporary_response_class()()
            del response.headers["content-length"]
            response.status_code = None  # type: ignore[assignment]  # "not set", as FastAPI marks it
            self.response = response
        return self.response

    def special(self, location: str, node: NodePlan) -> Any:
        if location == "request":
            return self.request()
        if location == "response":
            return self.temporary_response()
        if location == "background_tasks":
            if self.background is None:
                self.background = BackgroundTasks()
            return self.background
        if location == "security_scopes":
            from astraapi.security.oauth2 import SecurityScopes

            return SecurityScopes(scopes=list(node.effective_scopes))
        raise AstraAPIError(f"unknown special parameter location {location!r}")


_exit_pool: Any = None
_exit_pool_lock = threading.Lock()


def _exit_threads() -> Any:
    """Threads for the exit code of `def` dependencies with `yield`, apart from the pool endpoints
    and entries use: an exit that releases what a blocked endpoint waits for (a connection from
    a pool, say) must not queue behind it. FastAPI runs these exits without a capacity limit."""
    global _exit_pool
    with _exit_pool_lock:
        if _exit_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _exit_pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="astraapi-exit")
        return _exit_pool


class _ThreadedContext:
    """A sync context manager entered and exited in threads, as FastAPI does for `def`
    dependencies with `yield` (without anyio; with it, `concurrency.contextmanager_in_threadpool`)."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    async def __aenter__(self) -> Any:
        return await run_in_threadpool(self._manager.__enter__)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, self._manager.__exit__, exc_type, exc, tb)
        return bool(await loop.run_in_executor(_exit_threads(), call))


def _threaded(manager: Any) -> Any:
    """A `def` dependency's context manager, entered and exited in worker threads: anyio's when anyio
    is installed (FastAPI's `contextmanager_in_threadpool`: the exit needs no thread capacity, and
    `anyio.from_thread` works in both), else the engine's."""
    from astraapi.concurrency import _anyio, contextmanager_in_threadpool

    if _anyio() is not None:
        return contextmanager_in_threadpool(manager)
    return _ThreadedContext(manager)


class CleanupGate:
    """Holds back the cancellation of a request's task while exit code of its `yield` dependencies
    runs, as FastAPI shields that code from cancellation: the cancellation is delivered when the
    exit that was running ends (raised there, so the dependencies still to exit see it)."""

    __slots__ = ("task", "depth", "pending")

    def __init__(self, task: Any) -> None:
        self.task = task
        self.depth = 0
        self.pending = False


_gates: weakref.WeakKeyDictionary[Any, CleanupGate] = weakref.WeakKeyDictionary()


def cancel_request_task(task: Any) -> None:
    """Cancel the engine's task for a request (the ASGI call was cancelled): at once, or, while a
    `yield` dependency's exit code runs, once it has finished."""
    gate = _gates.get(task)
    if gate is not None and gate.depth:
        gate.pending = True
        return
    task.cancel()


class _GuardedExit:
    """A `yield` dependency's context manager whose exit runs to its end under `CleanupGate` (the gate
    of the task the exit runs in: a request entered inline may have moved to a task since)."""

    __slots__ = ("manager", "ctx")

    def __init__(self, manager: Any, ctx: RequestContext) -> None:
        self.manager = manager
        self.ctx = ctx

    async def __aenter__(self) -> Any:
        return await self.manager.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        gate = None if self.ctx.inline else _gate(self.ctx)
        if gate is None:  # no task: exit code that cannot suspend, nothing can cancel it
            return await self.manager.__aexit__(exc_type, exc, tb)
        gate.depth += 1
        try:
            return await self.manager.__aexit__(exc_type, exc, tb)
        finally:
            gate.depth -= 1
            if gate.depth == 0 and gate.pending:
                gate.pending = False
                gate.task.cancel()
                await asyncio.sleep(0)  # raises the held-back cancellation here


class _ShieldedExit:
    """An `async def` dependency with `yield`, run in the ASGI call's task: its exit code runs shielded
    from the caller's cancellation (the request's cleanup scope, entered on the request stack before
    the first such dependency, so scopes the dependency opens itself still exit first), and a
    cancellation that arrived meanwhile is raised right after it, as FastAPI runs them."""

    __slots__ = ("manager", "scope", "anyio")

    def __init__(self, manager: Any, scope: Any, anyio: Any) -> None:
        self.manager = manager
        self.scope = scope
        self.anyio = anyio

    async def __aenter__(self) -> Any:
        return await self.manager.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        scope = self.scope
        before = scope.shield
        scope.shield = True
        try:
            suppressed = await self.manager.__aexit__(exc_type, exc, tb)
        finally:
            scope.shield = before
        if exc_type is None or suppressed:  # nothing goes on up: the held-back cancellation, if any, does
            await self.anyio.lowlevel.checkpoint_if_cancelled()
        return suppressed


def _in_caller_cleanup(ctx: RequestContext, manager: Any) -> Any:
    from astraapi.concurrency import _anyio

    anyio = _anyio()
    if anyio is None:
        return manager
    import anyio.lowlevel  # noqa: F401

    if ctx.cleanup_scope is None:
        ctx.cleanup_scope = ctx.stack("request").enter_context(anyio.CancelScope())
    return _ShieldedExit(manager, ctx.cleanup_scope, anyio)


def _gate(ctx: RequestContext) -> CleanupGate | None:
    if ctx.in_caller:  # cancellation comes from the caller's own scopes (see _ShieldedExit)
        return None
    gate = ctx.gate
    if gate is None:
        task = asyncio.current_task()
        if task is None:
            return None
        gate = ctx.gate = _gates[task] = CleanupGate(task)
    return gate


@contextlib.asynccontextmanager
async def _limited(manager: Any, semaphore: Any) -> Any:
    async with semaphore:
        async with manager as value:
            yield value


class Solver:
    """Solves dependency trees for one app (keeps the analyses of overriding callables)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._override_plans: dict[tuple[int, int], tuple[NodePlan, Any, Any]] = {}

    def _override(self, sub: NodePlan, replacement: Any, path: str) -> NodePlan:
        key = (id(sub), id(replacement))
        cached = self._override_plans.get(key)
        if cached is not None and cached[1] is replacement and cached[2] is sub:
            return cached[0]
        from astraapi.introspection.analyzer import analyze_dependency
        from astraapi.introspection.annotations import path_param_names
        from astraapi.introspection.dependencies import embed_body
        from astraapi.exceptions import DeclarationError

        problems = _Problems(f"dependency override {replacement!r} for {sub.label}: ")
        node = analyze_dependency(
            replacement, name=sub.name, path_names={name for name, _ in path_param_names(path)}, problems=problems,
            parent_scopes=tuple(sub.effective_scopes), scope=sub.scope, concurrency=sub.concurrency,
        )
        if node is None:
            raise DeclarationError(problems.messages)
        if sub.body_embedded:
            node = embed_body(node)
        plan = NodePlan(node, path, sub.body_embedded)
        self._override_plans[key] = (plan, replacement, sub)
        return plan

    async def solve(self, node: NodePlan, ctx: RequestContext) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        overrides = ctx.overrides
        for sub in node.dependencies:
            use = sub
            if overrides:
                replacement = overrides.get(sub.call, sub.call)
                if replacement is not sub.call:
                    use = self._override(sub, replacement, ctx.route_path)
            if use.reader is not None:  # a security scheme, read from the request (no Request object)
                key = sub.cache_key
                solved = ctx.cache[key] if sub.use_cache and key in ctx.cache else use.reader(ctx.inputs())
                if sub.name is not None:
                    values[sub.name] = solved
                if key not in ctx.cache:
                    ctx.cache[key] = solved
                continue
            sub_values, sub_errors = await self.solve(use, ctx)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            key = sub.cache_key
            if sub.use_cache and key in ctx.cache:
                solved = ctx.cache[key]
            else:
                solved = await self._call(use, sub, sub_values, ctx)
            if sub.name is not None:
                values[sub.name] = solved
            if key not in ctx.cache:
                ctx.cache[key] = solved
        node.solve_own(ctx, values, errors)
        return values, errors

    async def _call(self, use: NodePlan, declared: NodePlan, arguments: dict[str, Any], ctx: RequestContext) -> Any:
        call = use.call
        kind = use.kind
        if ctx.inline and not use.inline:
            await TO_TASK  # threads, a coroutine that can suspend, a semaphore: from here on in a task
        if kind in ("generator", "async_generator"):
            if kind == "async_generator":
                manager: Any = contextlib.asynccontextmanager(call)(**arguments)
                if ctx.in_caller:
                    manager = _in_caller_cleanup(ctx, manager)
            else:
                manager = _threaded(contextlib.contextmanager(call)(**arguments))
            if not ctx.in_caller:
                manager = _GuardedExit(manager, ctx)
            if use.concurrency is not None:
                manager = _limited(manager, use.concurrency.semaphore())
            if declared.scope != "function":
                ctx.request_exits = True
            return await ctx.stack(declared.scope).enter_async_context(manager)
        if use.concurrency is None:
            if kind == "coroutine":
                return await call(**arguments)
            if use.plain_sync:
                return call(**arguments)
            return await run_user_sync(call, **arguments)
        async with use.concurrency.semaphore():
            if kind == "coroutine":
                return await call(**arguments)
            return await run_user_sync(call, **arguments)


class _Problems:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.messages: list[str] = []

    @property
    def count(self) -> int:
        return len(self.messages)

    def add(self, message: str) -> None:
        self.messages.append(self.prefix + message)
