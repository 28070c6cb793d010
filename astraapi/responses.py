"""Response classes with Starlette's rendering and header rules.

Headers are built once, at construction: the user's headers (names lower-cased), then
`content-length` (not for 1xx, 204 and 304 and not when the user set it), then
`content-type` (with `; charset=utf-8` appended for text/* types) unless the user set it.
"""

from __future__ import annotations

import hashlib
import http.cookies
import importlib
import json
import os
import stat
import warnings
from collections.abc import AsyncIterable, Iterable, Mapping
from mimetypes import guess_type
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from astraapi.datastructures import MutableHeaders


class Response:
    media_type: str | None = None
    charset = "utf-8"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The response as an ASGI application (Starlette's `await response(scope, receive, send)`, e.g. from a
        pure ASGI middleware): its head and body as ASGI messages, then its background task."""
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else self.body})
        if self.background is not None:
            await self.background()

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, (bytes, memoryview)):
            return bytes(content)
        return content.encode(self.charset)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        raw: list[tuple[bytes, bytes]] = []
        if headers is not None:
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        names = {name for name, _ in raw}
        status = self.status_code
        body = getattr(self, "body", None)  # streamed responses have none: no content-length
        if body is not None and b"content-length" not in names and not (status < 200 or status in (204, 304)):
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        content_type = self.media_type
        if content_type is not None and b"content-type" not in names:
            if content_type.startswith("text/") and "charset=" not in content_type.lower():
                content_type += "; charset=" + self.charset
            raw.append((b"content-type", content_type.encode("latin-1")))
        self.raw_headers = raw

    @property
    def headers(self) -> MutableHeaders:
        if not hasattr(self, "_headers"):
            self._headers = MutableHeaders(self.raw_headers)
        return self._headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Append a `set-cookie` header, formatted by http.cookies as Starlette formats it."""
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            if isinstance(expires, datetime):
                from email.utils import format_datetime  # here: email.utils costs ms at import

                expires = format_datetime(expires, usegmt=True)
            morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("strict", "lax", "none"):
                raise ValueError("samesite must be either 'strict', 'lax' or 'none'")
            morsel["samesite"] = samesite
        if partitioned:
            if "partitioned" not in http.cookies.Morsel._reserved:  # type: ignore[attr-defined]
                raise ValueError("Partitioned cookies are only supported in Python 3.14 and above.")
            morsel["partitioned"] = True
        self.raw_headers.append((b"set-cookie", cookie.output(header="").strip().encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        self.set_cookie(key, max_age=0, expires=0, path=path, domain=domain, secure=secure, httponly=httponly,
                        samesite=samesite, partitioned=partitioned)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")


class PlainTextResponse(Response):
    media_type = "text/plain"


class HTMLResponse(Response):
    media_type = "text/html"


class RedirectResponse(Response):
    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: Any = None,
    ) -> None:
        super().__init__(content=b"", status_code=status_code, headers=headers, background=background)
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")


def _deprecated_class_warning(name: str) -> None:
    from astraapi.exceptions import FastAPIDeprecationWarning

    warnings.warn(
        f"{name} is deprecated, FastAPI now serializes data directly to JSON "
        "bytes via Pydantic when a return type or response model is set, which is "
        "faster and doesn't need a custom response class. Read more in the FastAPI "
        "docs: https://fastapi.tiangolo.com/advanced/custom-response/#orjson-or-response-model "
        "and https://fastapi.tiangolo.com/tutorial/response-model/",
        FastAPIDeprecationWarning,
        stacklevel=3,
    )


try:
    ujson: Any = importlib.import_module("ujson")
except ModuleNotFoundError:  # pragma: nocover
    ujson = None

try:
    orjson: Any = importlib.import_module("orjson")
except ModuleNotFoundError:  # pragma: nocover
    orjson = None


class UJSONResponse(JSONResponse):
    """JSON rendered by ujson (deprecated in FastAPI, which warns when one is created)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _deprecated_class_warning("UJSONResponse")
        super().__init__(*args, **kwargs)

    def render(self, content: Any) -> bytes:
        assert ujson is not None, "ujson must be installed to use UJSONResponse"
        return ujson.dumps(content, ensure_ascii=False).encode("utf-8")


class ORJSONResponse(JSONResponse):
    """JSON rendered by orjson (deprecated in FastAPI, which warns when one is created)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _deprecated_class_warning("ORJSONResponse")
        super().__init__(*args, **kwargs)

    def render(self, content: Any) -> bytes:
        assert orjson is not None, "orjson must be installed to use ORJSONResponse"
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


Content = str | bytes | memoryview


async def _iterate_in_threadpool(iterator: Iterable[Content]) -> Any:
    """A sync iterator's items, each `next()` run in the thread pool (as Starlette does)."""
    from astraapi.concurrency import run_in_threadpool

    it = iter(iterator)
    done = object()
    try:
        while True:
            item = await run_in_threadpool(next, it, done)
            if item is done:
                return
            yield item
    finally:
        close = getattr(it, "close", None)
        if close is not None:  # stopped early (the client went away): close the generator too
            await run_in_threadpool(close)


class StreamingResponse(Response):
    """A body produced by a sync or async iterator of str/bytes chunks, sent as it comes
    (chunked transfer-encoding unless a content-length header is given)."""

    body_iterator: AsyncIterable[Content]

    def __init__(
        self,
        content: AsyncIterable[Content] | Iterable[Content],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> None:
        if isinstance(content, AsyncIterable):
            self.body_iterator = content
        else:
            self.body_iterator = _iterate_in_threadpool(content)
        self.status_code = status_code
        self.media_type = self.media_type if media_type is None else media_type
        self.background = background
        self.init_headers(headers)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As an ASGI application: the head, each chunk as it comes (not for HEAD), then the background task."""
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope.get("method") != "HEAD":
            async for chunk in self.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        if self.background is not None:
            await self.background()

    async def chunks(self) -> Any:
        """The body as bytes chunks (the engine sends them)."""
        async for chunk in self.body_iterator:
            if not isinstance(chunk, (bytes, memoryview)):
                chunk = chunk.encode(self.charset)
            yield bytes(chunk)


class MalformedRangeHeader(Exception):
    """A Range header FileResponse cannot use: answered 400 with `content` (Starlette's texts)."""

    def __init__(self, content: str = "Malformed range header.") -> None:
        self.content = content


class RangeNotSatisfiable(Exception):
    """A range that starts beyond the file: answered 416 with `content-range: bytes */size`."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size


class FilePlan:
    """What a FileResponse sends for one request: the status and headers, then the file's byte
    ranges (each after its `before` bytes) and `tail`. The server sends the ranges with
    sendfile(2) (`Request.send_file`); nothing of the file passes through Python."""

    __slots__ = ("status_code", "raw_headers", "segments", "tail")

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]],
                 segments: list[tuple[bytes, int, int]], tail: bytes = b"") -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.segments = segments
        self.tail = tail


class FileResponse(Response):
    """A file's content, with Starlette's content-type guess, content-disposition, the
    content-length, last-modified and etag headers from the file's stat, and Starlette's
    Range / If-Range handling (206, multipart/byteranges, 400, 416)."""

    chunk_size = 64 * 1024
    max_ranges = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        if media_type is None:
            media_type = guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.init_headers(headers)
        self.headers.setdefault("accept-ranges", "bytes")
        if self.filename is not None:
            quoted = quote(self.filename)
            if quoted != self.filename:
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{self.filename}"'
            self.headers.setdefault("content-disposition", disposition)
        self.stat_result = stat_result
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        etag_base = str(stat_result.st_mtime) + "-" + str(stat_result.st_size)
        etag = '"' + hashlib.md5(etag_base.encode(), usedforsecurity=False).hexdigest() + '"'
        self.headers.setdefault("content-length", str(stat_result.st_size))
        from email.utils import formatdate

        self.headers.setdefault("last-modified", formatdate(stat_result.st_mtime, usegmt=True))
        self.headers.setdefault("etag", etag)

    def prepare(self) -> None:
        """Stat the file (unless a stat_result was given) and set the headers from it.
        RuntimeError, as Starlette raises it, when the path is missing or not a file."""
        if self.stat_result is not None:
            return
        try:
            stat_result = os.stat(self.path)
        except FileNotFoundError:
            raise RuntimeError(f"File at path {self.path} does not exist.") from None
        self.set_stat_headers(stat_result)
        if not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(f"File at path {self.path} is not a file.")
        self.stat_result = stat_result

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As an ASGI application: `plan` for the scope's request, the file's ranges read in chunks."""
        from astraapi.concurrency import run_in_threadpool

        await run_in_threadpool(self.prepare)
        method = scope.get("method", "GET")
        plan = self.plan(method, list(scope.get("headers", [])))
        if isinstance(plan, Response):
            await plan(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": plan.status_code, "headers": plan.raw_headers})
        if method != "HEAD":
            with open(self.path, "rb") as file:
                for before, offset, length in plan.segments:
                    if before:
                        await send({"type": "http.response.body", "body": before, "more_body": True})
                    await run_in_threadpool(file.seek, offset)
                    while length > 0:
                        chunk = await run_in_threadpool(file.read, min(self.chunk_size, length))
                        if not chunk:
                            break
                        length -= len(chunk)
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if plan.tail:
                await send({"type": "http.response.body", "body": plan.tail, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        if self.background is not None:
            await self.background()

    def plan(self, method: str, request_headers: list[tuple[bytes, bytes]]) -> FilePlan | Response:
        """What to send for a request with this method and these headers (after `prepare`):
        the whole file, one range (206 with content-range), several (206 multipart/byteranges),
        or Starlette's 400 / 416 answer as a plain Response."""
        assert self.stat_result is not None, "prepare() first"
        size = self.stat_result.st_size
        http_range = _first_header(request_headers, b"range")
        if_range = _first_header(request_headers, b"if-range")
        whole = FilePlan(self.status_code, self.raw_headers, [(b"", 0, size)] if size else [])
        if (self.status_code != 200 or http_range is None or method.upper() not in ("GET", "HEAD")
                or (if_range is not None and not self._should_use_range(if_range))):
            return whole
        try:
            ranges = self._parse_range_header(http_range, size)
        except MalformedRangeHeader as exc:
            return PlainTextResponse(exc.content, status_code=400)
        except RangeNotSatisfiable as exc:
            return PlainTextResponse(status_code=416, headers={"Content-Range": f"bytes */{exc.max_size}"})
        if not ranges:
            return whole
        headers = MutableHeaders(list(self.raw_headers))
        if len(ranges) == 1:
            start, end = ranges[0]
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
            headers["content-length"] = str(end - start)
            return FilePlan(206, headers.raw, [(b"", start, end - start)])
        import secrets

        boundary = secrets.token_hex(13)
        content_type = self.headers["content-type"]
        segments = []
        for index, (start, end) in enumerate(ranges):
            before = (b"\r\n" if index else b"") + (
                f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
            ).encode("latin-1")
            segments.append((before, start, end - start))
        tail = f"\r\n--{boundary}--".encode("latin-1")
        headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
        headers["content-length"] = str(sum(len(b) + n for b, _, n in segments) + len(tail))
        return FilePlan(206, headers.raw, segments, tail)

    def _should_use_range(self, if_range: str) -> bool:
        if if_range.startswith("W/"):
            return False
        return if_range == self.headers["last-modified"] or if_range == self.headers["etag"]

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            units, spec = http_range.split("=", 1)
        except ValueError:
            raise MalformedRangeHeader() from None
        if units.strip().lower() != "bytes":
            raise MalformedRangeHeader("Only support bytes range")
        if spec.count(",") + 1 > cls.max_ranges:
            return []
        ranges = cls._parse_ranges(spec, file_size)
        if not ranges:
            raise MalformedRangeHeader("Range header: range must be requested")
        if any(not (0 <= start < file_size) for start, _ in ranges):
            raise RangeNotSatisfiable(file_size)
        if any(start >= end for start, end in ranges):
            raise MalformedRangeHeader("Range header: start must be less than end")
        if len(ranges) == 1:
            return ranges
        ranges.sort()  # overlapping or touching ranges are merged
        merged = [ranges[0]]
        for start, end in ranges[1:]:
            last_start, last_end = merged[-1]
            if start <= last_end:
                merged[-1] = (last_start, max(last_end, end))
            else:
                merged.append((start, end))
        return merged

    @staticmethod
    def _parse_ranges(spec: str, file_size: int) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        for part in spec.split(","):
            part = part.strip()
            if not part or part == "-" or "-" not in part:
                continue  # ignored, as Starlette does
            first, last = (piece.strip() for piece in part.split("-", 1))
            try:
                start = int(first) if first else max(file_size - int(last), 0)
                end = int(last) + 1 if first and last and int(last) < file_size else file_size
            except ValueError:
                continue
            ranges.append((start, end))
        return ranges

    async def chunks(self) -> Any:
        """The file's content in chunk_size pieces (read in the thread pool)."""
        from astraapi.concurrency import run_in_threadpool

        file = await run_in_threadpool(open, self.path, "rb")
        try:
            while True:
                chunk = await run_in_threadpool(file.read, self.chunk_size)
                if not chunk:
                    return
                yield chunk
                if len(chunk) < self.chunk_size:
                    return
        finally:
            file.close()


def _first_header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def __getattr__(name: str) -> Any:
    """FastAPI re-exports the SSE response class here; it is defined in astraapi.sse (which needs
    pydantic), so it loads on first use and declaring an app stays cheap."""
    if name == "EventSourceResponse":
        from astraapi.sse import EventSourceResponse

        return EventSourceResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "EventSourceResponse"])
