"""Response classes with Starlette's rendering and header rules.

Headers are built once, at construction: the user's headers (names lower-cased), then
`content-length` (not for 1xx, 204 and 304 and not when the user set it), then
`content-type` (with `; charset=utf-8` appended for text/* types) unless the user set it.
"""

from __future__ import annotations

import http.cookies
import json
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime
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
        if b"content-length" not in names and not (status < 200 or status in (204, 304)):
            raw.append((b"content-length", str(len(self.body)).encode("latin-1")))
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
            morsel["expires"] = format_datetime(expires, usegmt=True) if isinstance(expires, datetime) else expires
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
