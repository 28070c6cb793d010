"""One worker: one native server (epoll reactor) driven by one asyncio event loop.

The reactor's epoll descriptor is registered with the loop, so readiness on any
connection wakes the loop and the runtime drains every ready event in one `poll()` call.

Shutdown (uvicorn's behaviour, bounded): the first SIGTERM/SIGINT starts a graceful shutdown:
the server stops accepting (what the kernel already queued is still served), closes idle
keep-alive connections, and lets started requests finish, answering them with
`connection: close`; when no connection is left, or `graceful_timeout` has passed, the
server closes and the worker returns (exit code 0). A SIGINT during that wait (a second
Ctrl+C) closes at once.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable

from astraapi.server.config import ServerConfig
from astraapi.server.event_loop import loop_name, new_event_loop

logger = logging.getLogger("astraapi.server")

DRAIN_CHECK_SECONDS = 0.05


@dataclass(frozen=True)
class ServeTarget:
    """What a worker serves: the request handler and the route trie it matches with."""

    handler: Callable
    make_trie: Callable[[], object]
    host: str
    port: int
    mode: str  # "dynamic" | "compiled"
    config: ServerConfig = field(default_factory=ServerConfig)
    lifespan: object | None = None  # has async startup()/shutdown() (the app's router), run per worker
    route_unmatched: bool = False  # the handler answers unmatched requests (Server.route_unmatched)
    route_redirects: bool = False  # the handler answers trailing-slash redirects (Server.route_redirects)
    # Called with the native server once it exists: lets the executor register the routes the
    # server calls directly (engine/direct.py). None when Python middleware wraps the handler.
    on_server: Callable[[object], None] | None = None
    # Called once the lifespan's startup ran, before the server starts: the target to serve then (the
    # startup may have configured OpenTelemetry: server/serve.py, observe_after_startup).
    after_startup: Callable[[], ServeTarget] | None = None


def native_server(target: ServeTarget, **options: Any) -> Any:
    """The native server for `target`, set up as the target says (also the TestClient's)."""
    from astraapi import _runtime

    server = _runtime.Server(target.handler, target.make_trie(), target.host, target.port, **options,
                             **target.config.server_kwargs())
    server.route_unmatched = target.route_unmatched
    server.route_redirects = target.route_redirects
    if target.on_server is not None:
        target.on_server(server)
    return server


def serve_worker(target: ServeTarget, *, reuse_port: bool, announce: bool = True) -> None:
    """Serve until SIGINT/SIGTERM (then drain, see above); returns when the server has closed."""
    config = target.config
    _raise_open_file_limit(config.max_connections)
    loop = new_event_loop()
    if target.lifespan is not None:
        from astraapi._routing.include import serving_natively

        # The trie holds the routes the app declared when it was prepared: later additions are refused.
        serving_natively(target.lifespan)
        try:
            loop.run_until_complete(target.lifespan.startup())
        except BaseException:
            logger.exception("Application startup failed. Exiting.")
            loop.close()
            raise SystemExit(3) from None
    if target.after_startup is not None:
        target = target.after_startup()
    server = native_server(target, reuse_port=reuse_port)
    draining = False
    deadline = 0.0

    def finish() -> None:
        if server.connection_count:
            logger.warning("graceful shutdown: %d connection(s) still open, closing them", server.connection_count)
        loop.stop()

    def check_drained() -> None:
        if server.connection_count == 0 or loop.time() >= deadline:
            finish()
        else:
            loop.call_later(DRAIN_CHECK_SECONDS, check_drained)

    def on_signal(signum: int) -> None:
        nonlocal draining, deadline
        if draining:
            if signum == signal.SIGINT:  # a second Ctrl+C: do not wait
                deadline = 0.0
                finish()
            return
        draining = True
        logger.info("Shutting down (worker %d)", os.getpid())
        server.shutdown()
        deadline = loop.time() + config.graceful_timeout
        if server.connection_count:
            logger.info("Waiting for %d connection(s) to finish (up to %gs)", server.connection_count,
                        config.graceful_timeout)
        check_drained()

    try:
        loop.add_reader(server.fileno(), server.poll)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        if announce:
            logger.info(
                "AstraAPI %s worker %d serving on http://%s:%d (%s)",
                target.mode, os.getpid(), target.host, server.port, loop_name(loop),
            )
        loop.run_forever()
    finally:
        loop.remove_reader(server.fileno())
        server.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if target.lifespan is not None:
            try:
                loop.run_until_complete(target.lifespan.shutdown())
            except Exception:
                logger.exception("Application shutdown failed.")
        loop.close()
    logger.info("Finished worker %d", os.getpid())


def _raise_open_file_limit(max_connections: int) -> None:
    """Lift the soft RLIMIT_NOFILE towards the hard one so that max_connections can be reached
    (best effort; beyond the limit accept() fails and the server retries once a second)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = max_connections + 256 if max_connections else hard
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ImportError, ValueError, OSError):
        pass
