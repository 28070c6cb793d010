"""How a route's answer reaches the server: tasks, thread-pool results, streams and background work.

The executor's plain path and the direct call's unfinished calls end here: a rendered response
tuple is returned for the server to write now, or the answer comes later through
`request.respond(...)` when a task or a worker thread finishes (see docs/internals.md, "The handler
contract"). Background work runs after the response is written.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import TYPE_CHECKING, Any

from astraapi import _starlette_compat as starlette_compat
from astraapi.engine.dependencies import RequestContext
from astraapi.engine.responses import (
    ResponseTuple, error_logger, from_response, http_exception_tuple, internal_error, report_handled_error,
    report_server_error,
)
from astraapi.engine.streaming import Stream, is_streamed, send_streamed
from astraapi.exceptions import StarletteHTTPException
from astraapi.responses import Response

if TYPE_CHECKING:
    from astraapi.engine.route_plan import RoutePlan

EAGER_TASKS = sys.version_info >= (3, 12)

async def close_stream(stream: Stream) -> None:
    iterator = getattr(stream.response, "body_iterator", None)
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


def eager_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[ResponseTuple]:
    """A task that runs `coro` right now until it first suspends (Python 3.12+).

    `loop.create_task` takes `eager_start` only from Python 3.14; before that the Task
    constructor does.
    """
    if sys.version_info >= (3, 14):
        return loop.create_task(coro, eager_start=True)  # type: ignore[call-arg]
    return asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg]


def run_sync(plan: RoutePlan, values: dict[str, Any]) -> ResponseTuple:
    try:
        return rendered_answer(plan, plan.endpoint(**values))
    except Exception as error:
        return failed_answer(plan, error)


def run_as_task(plan: RoutePlan, coro: Any, request: Any) -> ResponseTuple | None:
    """Run `coro` (it renders the route's answer) as the request's task: eagerly on Python 3.12+,
    so one that finishes without suspending is answered now."""
    loop = asyncio.get_running_loop()
    if EAGER_TASKS:
        task = eager_task(loop, coro)
        if task.done():
            result = task_result(task, plan)
            if isinstance(result, Stream):
                start_stream(request, result, plan)
                return None
            return sent_now(result, plan)
    else:
        task = loop.create_task(coro)
    task.add_done_callback(functools.partial(respond_later, request, plan))
    return None


async def awaited_direct(plan: RoutePlan, endpoint_coro: Any) -> Any:
    """What `Executor._run_async` does, for an endpoint coroutine the server created (or one that
    suspended after its inline first step: `resume_coroutine(coro, pending)`)."""
    try:
        return rendered_answer(plan, await endpoint_coro)
    except Exception as error:
        return failed_answer(plan, error)


def rendered_answer(plan: RoutePlan, raw: Any) -> Any:
    """What an endpoint's return value becomes: a response tuple, a Stream, or After."""
    if starlette_compat.FOREIGN_RESPONSES and isinstance(raw, starlette_compat.FOREIGN_RESPONSES):
        raw = starlette_compat.adopt_response(raw)
    if is_streamed(raw):
        return Stream(raw, raw.background)
    if isinstance(raw, Response) and raw.background is not None:
        return After(from_response(raw), raw.background)
    return plan.response.render(raw)


def failed_answer(plan: RoutePlan, error: BaseException) -> ResponseTuple:
    if isinstance(error, StarletteHTTPException) or starlette_compat.is_http_exception(error):
        report_handled_error(error)
        return http_exception_tuple(error.status_code, error.detail, error.headers)
    if isinstance(error, asyncio.CancelledError):  # what a task would report for it
        return internal_error(f"{plan.label} was cancelled before it answered", error)
    return internal_error(f"Exception in {plan.label}", error)


def task_result(task: asyncio.Future[ResponseTuple], plan: RoutePlan) -> ResponseTuple:
    if task.cancelled():
        return internal_error(f"{plan.label} was cancelled before it answered", asyncio.CancelledError())
    error = task.exception()
    if error is not None:  # only BaseExceptions other than Exception get here
        return internal_error(f"Exception in {plan.label}", error)
    return task.result()


def respond_later(request: Any, plan: RoutePlan, task: asyncio.Future[ResponseTuple]) -> None:
    result = task_result(task, plan)
    if isinstance(result, Stream):
        start_stream(request, result, plan)
        return
    status, headers, body = result.response if isinstance(result, After) else result
    try:
        request.respond(status, headers, body)
    except Exception as error:  # e.g. a header name HTTP forbids: the server answered 500 instead
        error_logger.error("Could not send the response of %s", plan.label, exc_info=error)
        report_server_error(error)  # a test client raises it, as uvicorn reports it
    if isinstance(result, After):
        start_background(result.background, plan)


def start_stream(native: Any, stream: Stream, plan: RoutePlan) -> None:
    async def run() -> None:
        try:
            complete = await send_streamed(native, stream.response, plan.label)
        except Exception as error:
            if not native.responded:
                send_answer(native, internal_error(f"Exception in {plan.label}", error), plan)
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
    task.add_done_callback(functools.partial(report_crash, plan))


class After:
    """A response whose Response object carries background work to run once it is sent."""

    __slots__ = ("response", "background")

    def __init__(self, response: ResponseTuple, background: Any) -> None:
        self.response = response
        self.background = background


def with_temporary_headers(response: Any, temporary: Response | None) -> Any:
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


def sent_now(result: Any, plan: RoutePlan) -> ResponseTuple:
    if isinstance(result, After):
        # The server writes the returned response before the loop runs this task.
        start_background(result.background, plan)
        return result.response
    return result


def start_background(background: Any, plan: RoutePlan) -> None:
    async def run() -> None:
        try:
            await background()
        except Exception as error:
            error_logger.error("Exception in a background task of %s", plan.label, exc_info=error)

    asyncio.get_running_loop().create_task(run())


def report_crash(plan: RoutePlan, task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error_logger.error("Unexpected error while serving %s", plan.label, exc_info=task.exception())


def report_unmatched_crash(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error_logger.error("Unexpected error while answering an unmatched request", exc_info=task.exception())


def send_answer(native: Any, response: ResponseTuple, plan: RoutePlan) -> None:
    status, headers, body = response
    try:
        native.respond(status, headers, body)
    except Exception as error:
        error_logger.error("Could not send the response of %s", plan.label, exc_info=error)
        report_server_error(error)


def response_answer(raw: Any, ctx: RequestContext) -> tuple[Any, Any] | None:
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
