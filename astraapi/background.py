"""Background work that runs after the response has been sent, in the order it was added.

`BackgroundTasks` is what an endpoint or dependency receives when it declares a parameter
of that type; `BackgroundTask` (one call) can also be given to a Response as `background=`.
Async functions are awaited on the worker's loop; plain functions run in the thread pool.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

from astraapi.concurrency import is_async_callable as is_async_callable
from astraapi.concurrency import run_in_threadpool

P = ParamSpec("P")


class BackgroundTask:
    def __init__(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.is_async = is_async_callable(func)

    async def __call__(self) -> None:
        if self.is_async:
            await self.func(*self.args, **self.kwargs)
        else:
            await run_in_threadpool(self.func, *self.args, **self.kwargs)


class BackgroundTasks(BackgroundTask):
    def __init__(self, tasks: Sequence[BackgroundTask] | None = None) -> None:
        self.tasks = list(tasks) if tasks else []

    def add_task(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    async def __call__(self) -> None:
        telemetry = sys.modules.get("astraapi.telemetry._api")  # loaded only when an app records telemetry
        for task in self.tasks:
            if telemetry is None:
                await task()
                continue
            with telemetry._operation(name="background_task", function=task.func):  # a span, when on
                await task()


StarletteBackgroundTasks = BackgroundTasks  # FastAPI's name for the base class it extends
