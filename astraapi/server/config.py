"""Server limits, timeouts and options: one frozen value, from `app.run(...)` kwargs or the
`astraapi run/dev` command line, handed to every worker's native server.

Defaults and what happens at each limit: docs/http-hardening.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from astraapi._runtime_contract import SERVER_DEFAULTS as _DEFAULTS


@dataclass(frozen=True)
class ServerConfig:
    # Defaults: the native server's (astraapi/_runtime_contract.py SERVER_DEFAULTS), except where
    # a comment says the app's default differs.
    max_header_size: int = _DEFAULTS["max_header_size"]  # request line + header fields (+ trailers), bytes -> 431
    max_header_count: int = _DEFAULTS["max_header_count"]  # header fields per request -> 431
    max_body_size: int = _DEFAULTS["max_body_size"]  # bytes -> 413
    header_timeout: float = _DEFAULTS["header_timeout"]  # seconds from a request's first byte to the end of its headers -> 408
    body_timeout: float = _DEFAULTS["body_timeout"]  # seconds without a body byte (or without the client taking our answer) -> 408/close
    keep_alive_timeout: float = _DEFAULTS["idle_timeout"]  # seconds an idle keep-alive connection is kept (uvicorn: 5)
    max_connections: int = _DEFAULTS["max_connections"]  # per worker; beyond it: 503 and close (uvicorn's --limit-concurrency answer)
    access_log: bool = _DEFAULTS["access_log"]  # uvicorn's access log line on "astraapi.access" (off: nothing on the hot path)
    # Differs from the native server's default (off): uvicorn's default, on.
    proxy_headers: bool = True  # X-Forwarded-For/-Proto from trusted peers
    # Differs: None reads $FORWARDED_ALLOW_IPS, else the native default "127.0.0.1" (as uvicorn).
    forwarded_allow_ips: str | None = None
    graceful_timeout: float = 30.0  # SIGTERM/SIGINT: how long in-flight requests may take to finish (Python only)
    ws_max_size: int = _DEFAULTS["ws_max_size"]  # a WebSocket message (all its fragments), bytes -> close 1009 (uvicorn's)
    ws_ping_interval: float = _DEFAULTS["ws_ping_interval"]  # seconds between WebSocket keep-alive pings (0: none; uvicorn's default)
    ws_ping_timeout: float = _DEFAULTS["ws_ping_timeout"]  # seconds without a pong after a ping -> close 1011 (0: wait for ever)
    # Differs from the native server's default (0: off): a slow-body guard for served apps.
    body_min_rate: int = 240  # bytes/s: a request body arriving slower on average (after the grace) -> 408 (0: off)
    body_min_rate_grace: float = _DEFAULTS["body_min_rate_grace"]  # seconds after the headers before the minimum rate applies
    gzip: bool = _DEFAULTS["gzip"]  # native gzip of responses, negotiated from Accept-Encoding with q-values (RFC 9110)
    gzip_min_size: int = _DEFAULTS["gzip_min_size"]  # bytes: smaller bodies are sent as they are
    gzip_level: int = _DEFAULTS["gzip_level"]  # 0-9

    def __post_init__(self) -> None:
        for name in ("max_header_size", "max_header_count", "max_body_size", "max_connections", "ws_max_size",
                     "body_min_rate", "gzip_min_size", "gzip_level"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, not {value!r}")
        for name in ("max_header_size", "max_header_count"):
            if getattr(self, name) == 0:
                raise ValueError(f"{name} must be at least 1")
        if self.gzip_level > 9:
            raise ValueError(f"gzip_level must be 0 to 9, not {self.gzip_level!r}")
        if not isinstance(self.gzip, bool):
            raise ValueError(f"gzip must be True or False, not {self.gzip!r}")
        for name in ("header_timeout", "body_timeout", "keep_alive_timeout", "graceful_timeout", "ws_ping_interval",
                     "ws_ping_timeout", "body_min_rate_grace"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ServerConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(f"unknown server option(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})")
        return cls(**kwargs)

    def trusted_ips(self) -> str:
        if self.forwarded_allow_ips is not None:
            return self.forwarded_allow_ips
        return os.environ.get("FORWARDED_ALLOW_IPS", _DEFAULTS["forwarded_allow_ips"])

    def server_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for astraapi._runtime.Server (0 disables a timeout / the connection limit)."""
        return {
            "max_header_size": self.max_header_size,
            "max_header_count": self.max_header_count,
            "max_body_size": self.max_body_size,
            "header_timeout": float(self.header_timeout),
            "body_timeout": float(self.body_timeout),
            "idle_timeout": float(self.keep_alive_timeout),
            "max_connections": self.max_connections,
            "access_log": self.access_log,
            "proxy_headers": self.proxy_headers,
            "forwarded_allow_ips": self.trusted_ips(),
            "ws_max_size": self.ws_max_size,
            "ws_ping_interval": float(self.ws_ping_interval),
            "ws_ping_timeout": float(self.ws_ping_timeout),
            "body_min_rate": self.body_min_rate,
            "body_min_rate_grace": float(self.body_min_rate_grace),
            "gzip": self.gzip,
            "gzip_min_size": self.gzip_min_size,
            "gzip_level": self.gzip_level,
        }
