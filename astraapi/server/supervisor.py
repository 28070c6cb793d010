"""The master process for workers=N: fork N workers sharing the port (SO_REUSEPORT),
restart a worker that dies (with backoff), and on SIGINT/SIGTERM stop them all."""

from __future__ import annotations

import logging
import os
import signal
import time
import traceback
from typing import Callable

logger = logging.getLogger("astraapi.server")

MAX_BACKOFF_SECONDS = 5.0


def supervise(workers: int, worker_main: Callable[[], None]) -> int:
    children: dict[int, int] = {}  # pid -> slot
    failures: dict[int, int] = {}  # slot -> consecutive quick deaths
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                worker_main()
            except BaseException:  # the worker's last word: report and exit non-zero
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot

    def on_signal(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(workers):
            spawn(slot)
        logger.info("AstraAPI master %d started %d workers", os.getpid(), workers)
        started = {slot: time.monotonic() for slot in range(workers)}
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            slot = children.pop(pid, None)
            if slot is None or stopping:
                continue
            lived = time.monotonic() - started[slot]
            failures[slot] = failures.get(slot, 0) + 1 if lived < 1.0 else 0
            delay = min(MAX_BACKOFF_SECONDS, 0.1 * (2 ** failures[slot])) if failures[slot] else 0.0
            logger.warning(
                "worker %d exited (%s); restarting it%s",
                pid, _describe(status), f" in {delay:.1f}s" if delay else "",
            )
            if delay:
                time.sleep(delay)
            if not stopping:
                started[slot] = time.monotonic()
                spawn(slot)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
