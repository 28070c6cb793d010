"""The master process for workers=N: fork N workers sharing the port (SO_REUSEPORT),
restart a worker that dies (with backoff), and stop them all on SIGINT/SIGTERM.

Stopping: the first signal is forwarded to every worker as SIGTERM (each drains its
connections, see worker.py); the master waits for them up to the graceful timeout plus a
margin, then SIGKILLs the stragglers and reaps them, and returns 0. A later SIGINT is
forwarded as SIGINT (workers then close at once). Workers die with the master: they get
SIGTERM if the master goes away without stopping them (PR_SET_PDEATHSIG), so no orphan
keeps the port.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
import traceback
from typing import Callable

logger = logging.getLogger("astraapi.server")

MAX_BACKOFF_SECONDS = 5.0
KILL_MARGIN_SECONDS = 5.0  # beyond the graceful timeout, before SIGKILL
POLL_SECONDS = 0.05
_PR_SET_PDEATHSIG = 1


def supervise(workers: int, worker_main: Callable[[], None], *, graceful_timeout: float = 30.0) -> int:
    children: dict[int, int] = {}  # pid -> slot
    failures: dict[int, int] = {}  # slot -> consecutive quick deaths
    started: dict[int, float] = {}
    master = os.getpid()
    stopping = False
    kill_at = 0.0

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with_parent(master)
                worker_main()
            except BaseException:  # the worker's last word: report and exit non-zero
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot
        started[slot] = time.monotonic()

    def forward(signum: int) -> None:
        for pid in list(children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def on_signal(signum, frame) -> None:
        nonlocal stopping, kill_at
        if not stopping:
            stopping = True
            kill_at = time.monotonic() + graceful_timeout + KILL_MARGIN_SECONDS
            logger.info("master %d: stopping %d worker(s)", master, len(children))
            forward(signal.SIGTERM)
        elif signum == signal.SIGINT:
            forward(signal.SIGINT)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(workers):
            spawn(slot)
        logger.info("AstraAPI master %d started %d workers", master, workers)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                if stopping and time.monotonic() >= kill_at:
                    logger.warning("master %d: %d worker(s) did not stop in time, killing them", master,
                                   len(children))
                    forward(signal.SIGKILL)
                    kill_at = float("inf")
                time.sleep(POLL_SECONDS)
                continue
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
            wake = time.monotonic() + delay
            while not stopping and time.monotonic() < wake:
                time.sleep(POLL_SECONDS)
            if not stopping:
                spawn(slot)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _die_with_parent(master: int) -> None:
    """Ask the kernel to SIGTERM this worker when the master dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the master's own stop path still applies
        return
    if os.getppid() != master:  # the master died before prctl took effect
        os._exit(0)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
