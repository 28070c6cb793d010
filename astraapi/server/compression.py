"""GZipMiddleware's decisions applied to the engine's responses, with libdeflate compressing.

Starlette's rules, for a response with a complete body:
- the request's Accept-Encoding contains "gzip" (a substring test, as Starlette's);
- a response that already has a content-encoding, a 206, or an excluded media type passes as is;
- a body shorter than `minimum_size` passes as is;
- otherwise `vary: Accept-Encoding` is added (even when the client did not accept gzip), and
  for a gzip client the body is compressed, `content-encoding: gzip` added and
  `content-length` updated in place.
The compressed bytes differ from zlib's (another deflate implementation); they decompress to
the same body. `compresslevel` keeps zlib's meaning ("this much compression"): whole bodies are
compressed at the libdeflate level that compresses at least as small as zlib at that level
(`_runtime.gzip_level_for_zlib`; 9 -> 7, see docs/compat-differences.md), not at libdeflate's
level of the same number, which costs nearly twice as much on a 10 KB body.

For a streamed answer (start_response / send / end), Starlette's rule for a body sent in
several messages: the first piece decides. A first `send` (Starlette: a body message with
more_body) compresses the whole stream with zlib (`_runtime.GzipStream`, each piece flushed
with Z_SYNC_FLUSH as Starlette does), drops `content-length` and adds `content-encoding` and
`vary`; a client without gzip gets the pieces unchanged with `vary` added. An `end` without
pieces is Starlette's empty final message: the whole-body rules with an empty body.
"""

from __future__ import annotations

from typing import Any, Callable

from astraapi.ir.nodes import GzipIR
from astraapi.engine.responses import BodyThroughPython, ServerErrorHeaders
from astraapi.server.headers import set_header

JSON_HEADERS = (b"content-type", b"application/json")
VARY = (b"vary", b"Accept-Encoding")
GZIP = (b"content-encoding", b"gzip")

Handler = Callable[[Any, int, tuple], Any]


def gzip_handler(handler: Handler, settings: GzipIR) -> Handler:
    from astraapi import _runtime

    compressor = Compressor(settings, _runtime.gzip_compress, _runtime.gzip_level_for_zlib(settings.compresslevel))

    def handle(request: Any, route_index: int, path_params: tuple) -> Any:
        accepts = b"gzip" in _accept_encoding(request)
        result = handler(Compressing(request, compressor, accepts), route_index, path_params)
        if result is None:
            return None
        return compressor.apply(*result, accepts)

    return handle


class Compressor:
    def __init__(self, settings: GzipIR, compress: Callable[[bytes, int], bytes], whole_level: int) -> None:
        self.minimum_size = settings.minimum_size
        self.level = settings.compresslevel  # zlib's scale: streams (GzipStream)
        self.whole_level = whole_level  # `compress`'s level for a whole body
        self.excluded = frozenset(settings.exclude_content_types)
        self.compress = compress
        self.json_passes = self._passes([JSON_HEADERS])  # the default JSON head is left alone

    def apply(self, status: int, headers: list | None, body: bytes, accepts: bool) -> tuple:
        if isinstance(headers, ServerErrorHeaders):  # ServerErrorMiddleware's answer: outside GZip
            return status, headers, body
        if len(body) < self.minimum_size:
            return status, headers, body
        if headers is None:
            # The default JSON head (content-length, content-type): what the general rules below
            # make of it, without building and searching the lists.
            if status == 206 or self.json_passes:
                return status, [(b"content-length", str(len(body)).encode()), JSON_HEADERS], body
            if accepts:
                body = self.compress(body, self.whole_level)
                return status, [(b"content-length", str(len(body)).encode()), JSON_HEADERS, VARY, GZIP], body
            return status, [(b"content-length", str(len(body)).encode()), JSON_HEADERS, VARY], body
        if status == 206 or self._passes(headers):
            return status, headers, body
        headers = _with_vary(list(headers))
        if accepts:
            body = self.compress(body, self.whole_level)
            headers.append(GZIP)
            headers = set_header(headers, b"content-length", str(len(body)).encode())
        return status, headers, body

    def _passes(self, headers: list) -> bool:
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-encoding":
                return True
            if lower == b"content-type":
                media = value.decode("latin-1").partition(";")[0].strip().lower()
                types = {media, media.partition("/")[0] + "/*"}
                if media.startswith("application/grpc+"):
                    types.add("application/grpc")
                if not types.isdisjoint(self.excluded):
                    return True
        return False


class Compressing(BodyThroughPython):
    """The native request, with deferred answers going through the compressor."""

    __slots__ = ("_native", "_compressor", "_accepts", "_held", "_stream", "_passing")

    def __init__(self, native: Any, compressor: Compressor, accepts: bool) -> None:
        self._native = native
        self._compressor = compressor
        self._accepts = accepts
        self._held: tuple | None = None  # a stream's (status, headers) until its first piece
        self._stream: Any = None  # the GzipStream of a compressed stream
        self._passing = False  # a stream passed through unchanged

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    def respond(self, status: int, headers: list | None, body: bytes) -> bool:
        return self._native.respond(*self._compressor.apply(status, headers, body, self._accepts))

    # ---- streamed answers ----

    def start_response(self, status: int, headers: list) -> bool:
        headers = list(headers)
        if status == 206 or self._compressor._passes(headers):
            self._passing = True
            return self._native.start_response(status, headers)
        self._held = (status, headers)
        return bool(self._native.connected)

    def send(self, chunk: bytes) -> bool:
        if self._held is not None:
            status, headers = self._held
            self._held = None
            headers = _with_vary(headers)
            if self._accepts:
                from astraapi import _runtime

                self._stream = _runtime.GzipStream(self._compressor.level)
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-encoding", b"gzip"))
            if not self._native.start_response(status, headers):
                return False
        if self._stream is not None:
            chunk = self._stream.compress(bytes(chunk))
        return self._native.send(chunk)

    def end(self) -> bool:
        if self._held is not None:  # no piece: Starlette's single empty final message
            status, headers = self._held
            self._held = None
            status, headers, body = self._compressor.apply(status, headers, b"", self._accepts)
            if not self._native.start_response(status, headers):
                return False
            if body and not self._native.send(body) and not self._native.connected:
                return False
        elif self._stream is not None:
            tail = self._stream.finish()
            self._stream = None
            if not self._native.send(tail) and not self._native.connected:
                return False
        return self._native.end()


def _accept_encoding(request: Any) -> bytes:
    for name, value in request.headers:
        if name == b"accept-encoding":
            return value
    return b""


def _with_vary(headers: list) -> list:
    """Starlette's add_vary_header: the values joined, set in place of the first `vary`."""
    values = [value for name, value in headers if name.lower() == b"vary"]
    return set_header(headers, b"vary", b", ".join([*values, b"Accept-Encoding"]))
