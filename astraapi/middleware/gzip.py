"""GZipMiddleware, as Starlette's (the same options and decisions), carried out natively:
libdeflate compresses whole bodies, zlib streamed ones (each piece flushed, as Starlette), the
engine applies Starlette's rules (see astraapi/server/compression.py). Without any middleware,
the server can compress by itself with RFC 9110 negotiation: `--gzip` (docs/http-hardening.md)."""

from __future__ import annotations

from typing import Any

DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)


class GZipMiddleware:
    """Compress responses of at least `minimum_size` bytes for clients that accept gzip."""

    def __init__(
        self,
        app: Any = None,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 128 * 1024,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        if not 0 <= compresslevel <= 9:
            raise ValueError("compresslevel must be between 0 and 9")
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = tuple(t.partition(";")[0].strip().lower() for t in exclude_content_types)


__all__ = ["GZipMiddleware"]
