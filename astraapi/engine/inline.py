"""Running an `async def` endpoint that cannot suspend without a task.

A FastAPI app serves each request in a task. A coroutine whose code has no suspension point
(no `await`, `async with`, `async for`, `yield`) finishes in its first step, so AstraAPI runs
that step inline, in a copy of the context as a task would (so context variables set by the
endpoint do not leak into later requests), and answers at once: no task object, no trip
through the event loop. Every other coroutine gets a task (eager on Python 3.12+).

The one thing that differs: inside such an endpoint `asyncio.current_task()` is None. Code that
needs a task (asyncio.timeout, anyio, httpx's async client) has to `await` something, so its
endpoint is never run inline.

Should a first step suspend all the same (the analysis is a check of the bytecode, so this
is a safeguard), `continue_in_task` hands the started coroutine to a task without losing the
future it is waiting on.
"""

from __future__ import annotations

import asyncio
import dis
import inspect
import types
from collections.abc import Coroutine, Generator
from typing import Any

# Opcodes that can give control back to the event loop (Python 3.11 to 3.13 spellings).
_SUSPENDING = frozenset(
    name for name in ("GET_AWAITABLE", "GET_AITER", "GET_ANEXT", "BEFORE_ASYNC_WITH", "END_ASYNC_FOR",
                      "YIELD_VALUE", "SEND", "ASYNC_GEN_WRAP", "CLEANUP_THROW")
    if name in dis.opmap
)


def _code_can_suspend(code: types.CodeType) -> bool:
    if any(instruction.opname in _SUSPENDING for instruction in dis.get_instructions(code)):
        return True
    # Nested code (comprehensions, inner functions) counts too: conservative, never wrong.
    return any(isinstance(const, types.CodeType) and _code_can_suspend(const) for const in code.co_consts)


# An async generator's own `yield` (ASYNC_GEN_WRAP + YIELD_VALUE on 3.11) hands a value to its
# consumer (asynccontextmanager), not control to the loop: only these opcodes can suspend it.
_GEN_SUSPENDING = _SUSPENDING - {"YIELD_VALUE", "ASYNC_GEN_WRAP"}


def _asyncgen_code_can_suspend(code: types.CodeType) -> bool:
    if any(instruction.opname in _GEN_SUSPENDING for instruction in dis.get_instructions(code)):
        return True
    return any(isinstance(const, types.CodeType) and _code_can_suspend(const) for const in code.co_consts)


def call_never_suspends(call: Any, kind: str) -> bool:
    """Whether calling dependency `call` (ir.DEPENDENCY_KINDS `kind`) never gives control back to the
    loop: an `async def` function, or an instance whose class's `async def __call__` is, with no
    suspension point; an async generator function whose body has none (its `yield` aside). Anything
    else (sync callables, which run in worker threads, partials, decorated callables) is False."""
    if kind == "coroutine":
        if isinstance(call, types.FunctionType):
            return never_suspends(call)
        method = getattr(type(call), "__call__", None)
        return (not isinstance(call, type) and isinstance(method, types.FunctionType)
                and inspect.iscoroutinefunction(method) and not _code_can_suspend(method.__code__))
    if kind == "async_generator":
        return (isinstance(call, types.FunctionType) and inspect.isasyncgenfunction(call)
                and not _asyncgen_code_can_suspend(call.__code__))
    return False


# Code that calls nothing: it cannot block, and nothing in it can tell which thread it runs in.
_PLAIN = frozenset({"RESUME", "NOP", "CACHE", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_CONST", "STORE_FAST",
                    "LOAD_GLOBAL", "LOAD_DEREF", "COPY_FREE_VARS", "RETURN_VALUE", "RETURN_CONST", "POP_TOP",
                    "BUILD_TUPLE", "STORE_ATTR",
                    # 3.13's pairs of the above (the arg holds two local indices, 4 bits each)
                    "LOAD_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST", "STORE_FAST_LOAD_FAST"})


def _loads_self_last(instruction: dis.Instruction | None) -> bool:
    """Whether `instruction` leaves local 0 (`self`) on top of the stack, the owner STORE_ATTR reads."""
    if instruction is None:
        return False
    if instruction.opname in ("LOAD_FAST", "LOAD_FAST_CHECK"):
        return instruction.arg == 0
    if instruction.opname in ("LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST"):
        return instruction.arg & 0xF == 0
    return False


def _plain_code(code: types.CodeType, cls: type | None) -> bool:
    previous = None
    for instruction in dis.get_instructions(code):
        name = instruction.opname
        if name not in _PLAIN:
            return False
        if name == "STORE_ATTR":
            # only `self.name = value` in a class's __init__, onto an instance attribute or a slot (no property)
            if cls is None or not _loads_self_last(previous):
                return False
            present = type(inspect.getattr_static(cls, instruction.argval, None))
            if present is not types.MemberDescriptorType and (hasattr(present, "__set__")
                                                             or hasattr(present, "__delete__")):
                return False  # a property or another data descriptor: its code would run
        previous = instruction
    return True


def plain_sync_call(call: Any) -> bool:
    """Whether calling `def` dependency `call` runs no Python code but its own, which calls nothing: a
    function, or a class built by `type` and `object.__new__` whose `__init__` only sets attributes of
    `self` (a pagination class). FastAPI runs such a call in a worker thread; it cannot block and cannot
    tell the difference, so the engine calls it on the loop."""
    if isinstance(call, types.FunctionType):
        return not inspect.isgeneratorfunction(call) and _plain_code(call.__code__, None)
    if (isinstance(call, type) and type(call) is type and call.__new__ is object.__new__
            and call.__setattr__ is object.__setattr__):
        init = call.__init__
        return isinstance(init, types.FunctionType) and _plain_code(init.__code__, call)
    return False


class _ToTask:
    """`await TO_TASK` where a request driven inline (no task yet: `Executor._drive_inline`) must go on
    in a task: before code that needs one (worker threads through anyio, a coroutine that can suspend,
    user exception handlers, background work). The driver sees `MOVE_TO_TASK` yielded and continues
    the coroutine in a task; nothing else ever sees it."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        yield MOVE_TO_TASK


MOVE_TO_TASK: Any = object()
TO_TASK = _ToTask()


def never_suspends(endpoint: Any) -> bool:
    """True when `endpoint` is a plain `async def` function whose body has no suspension point.

    A decorated endpoint is judged by the wrapper's own code, the code that runs (a wrapper that
    awaits the function it wraps can suspend)."""
    if not isinstance(endpoint, types.FunctionType) or not inspect.iscoroutinefunction(endpoint):
        return False
    return not _code_can_suspend(endpoint.__code__)


@types.coroutine
def resume_coroutine(coro: Coroutine[Any, Any, Any], pending: Any) -> Generator[Any, Any, Any]:
    """Drive `coro`, already started and waiting on `pending`, to its end inside a task (`pending`
    MOVE_TO_TASK: it asked for a task, resume it at once)."""
    if pending is MOVE_TO_TASK:
        try:
            pending = coro.send(None)
        except StopIteration as stop:
            return stop.value
    while True:
        try:
            value = yield pending
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation and the like go on to the coroutine
            try:
                pending = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                pending = coro.send(value)
            except StopIteration as stop:
                return stop.value


async def _continued(coro: Coroutine[Any, Any, Any], pending: Any) -> Any:
    return await resume_coroutine(coro, pending)


def continue_in_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], pending: Any,
                     context: Any) -> asyncio.Task[Any]:
    return loop.create_task(_continued(coro, pending), context=context)
