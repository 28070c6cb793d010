"""One worker: one native server (epoll reactor) driven by one asyncio event loop.

The reactor's epoll descriptor is registered with the loop, so readiness on any
connection wakes the loop and the runtime drains every ready event in one `poll()` call.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass
from typing import Callable

from astraapi.server.event_loop import loop_name, new_event_loop

logger = logging.getLogger("astraapi.server")


@dataclass(frozen=True)
class ServeTarget:
    """What a worker serves: the request handler and the route trie it matches with."""

    handler: Callable
    make_trie: Callable[[], object]
    host: str
    port: int
    mode: str  # "dynamic" | "compiled"
    lifespan: object | None = None  # has async startup()/shutdown() (the app's router), run per worker


def serve_worker(target: ServeTarget, *, reuse_port: bool, announce: bool = True) -> None:
    """Serve until SIGINT/SIGTERM; returns when the server has closed."""
    from astraapi import _runtime

    loop = new_event_loop()
    if target.lifespan is not None:
        try:
            loop.run_until_complete(target.lifespan.startup())
        except BaseException:
            logger.exception("Application startup failed. Exiting.")
            loop.close()
            raise SystemExit(3) from None
    server = _runtime.Server(target.handler, target.make_trie(), target.host, target.port, reuse_port=reuse_port)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            loop.stop()

    try:
        loop.add_reader(server.fileno(), server.poll)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        if announce:
            logger.info(
                "AstraAPI %s worker %d serving on http://%s:%d (%s)",
                target.mode, os.getpid(), target.host, server.port, loop_name(loop),
            )
        loop.run_forever()
    finally:
        loop.remove_reader(server.fileno())
        server.close()
        if target.lifespan is not None:
            try:
                loop.run_until_complete(target.lifespan.shutdown())
            except Exception:
                logger.exception("Application shutdown failed.")
        loop.close()
