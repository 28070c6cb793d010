"""Small read-only views over request data: query parameters, headers, client address."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlencode


class DefaultPlaceholder:
    """A default the user did not override (FastAPI's): `Default(value)` wraps the value, so
    "not given" differs from a given value even when that value is truthy. Routers and routes
    hold these (`route.response_class` is `Default(JSONResponse)` until something sets one);
    checks test the type, `isinstance(x, DefaultPlaceholder)`."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPlaceholder) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]  # as FastAPI's: __eq__ without __hash__

    def __repr__(self) -> str:
        return f"Default({self.value!r})"


DefaultType = TypeVar("DefaultType")


def Default(value: DefaultType) -> DefaultType:  # noqa: N802 - FastAPI's name
    """`value` marked as a default nobody gave (a DefaultPlaceholder, typed as the value)."""
    return DefaultPlaceholder(value)  # type: ignore[return-value]


def get_value_or_default(first_item: Any, *extra_items: Any) -> Any:
    """The first item that is not a DefaultPlaceholder (items by descending priority); when all
    are, the first (FastAPI's `utils.get_value_or_default`)."""
    for item in (first_item, *extra_items):
        if not isinstance(item, DefaultPlaceholder):
            return item
    return first_item


class Address(NamedTuple):
    host: str
    port: int


class QueryParams(Mapping[str, str]):
    """Query parameters parsed as Starlette parses them: `get` returns the last value."""

    __slots__ = ("_items", "_last")

    def __init__(self, query: str | bytes | list[tuple[str, str]] = "") -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            query = parse_qsl(query, keep_blank_values=True)
        self._items: list[tuple[str, str]] = list(query)
        self._last: dict[str, str] = dict(self._items)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __getitem__(self, key: str) -> str:
        return self._last[key]

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __str__(self) -> str:
        return urlencode(self._items)  # as Starlette prints query parameters

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class Headers(Mapping[str, str]):
    """Case-insensitive header view over raw (name, value) byte pairs; `get` returns the first value.

    Built as Starlette's is: from a mapping (`Headers({"x-a": "1"})`), `raw=` byte pairs, or
    `scope=` (the scope's header list, shared). A list of byte pairs given positionally is taken as `raw`."""

    __slots__ = ("_raw",)

    def __init__(self, headers: Mapping[str, str] | list[tuple[bytes, bytes]] | None = None,
                 raw: list[tuple[bytes, bytes]] | None = None, scope: MutableMapping[str, Any] | None = None) -> None:
        if headers is not None and not isinstance(headers, Mapping):
            headers, raw = None, headers  # our own positional raw list
        if sum(source is not None for source in (headers, raw, scope)) > 1:
            raise TypeError("Headers takes one of headers=, raw= or scope=")
        if headers is not None:
            raw = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        elif scope is not None:
            raw = scope["headers"] = list(scope["headers"])  # a tuple or another iterable in the scope
        self._raw = raw if raw is not None else []

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._raw

    def keys(self) -> list[str]:  # type: ignore[override]
        """Every name, repeated names included (Starlette's multidict view)."""
        return [k.decode("latin-1") for k, _ in self._raw]

    def values(self) -> list[str]:  # type: ignore[override]
        return [v.decode("latin-1") for _, v in self._raw]

    def mutablecopy(self) -> "MutableHeaders":
        return MutableHeaders(raw=self._raw[:])

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self._raw if k == name]

    def __getitem__(self, key: str) -> str:
        name = key.lower().encode("latin-1")
        for k, v in self._raw:
            if k == name:
                return v.decode("latin-1")
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = key.lower().encode("latin-1")
        return any(k == name for k, _ in self._raw)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._raw)

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._raw]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and sorted(self._raw) == sorted(other._raw)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{type(self).__name__}({as_dict!r})"
        return f"{type(self).__name__}(raw={self._raw!r})"


class MutableHeaders(Headers):
    """Headers of a response being built; writes go to the shared raw list."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        name = key.lower().encode("latin-1")
        encoded = value.encode("latin-1")
        found = [i for i, (k, _) in enumerate(self._raw) if k == name]
        for i in reversed(found[1:]):
            del self._raw[i]
        if found:
            self._raw[found[0]] = (name, encoded)
        else:
            self._raw.append((name, encoded))

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self._raw[:] = [(k, v) for k, v in self._raw if k != name]

    def append(self, key: str, value: str) -> None:
        self._raw.append((key.lower().encode("latin-1"), value.encode("latin-1")))

    def setdefault(self, key: str, value: str) -> str:  # type: ignore[override]
        """The header's value; `value` is appended first when the header is absent."""
        name = key.lower().encode("latin-1")
        for k, v in self._raw:
            if k == name:
                return v.decode("latin-1")
        self._raw.append((name, value.encode("latin-1")))
        return value

    def update(self, other: Mapping[str, str]) -> None:  # type: ignore[override]
        for key, value in other.items():
            self[key] = value


def parse_cookie_header(header: str) -> dict[str, str]:
    """The `cookie` header as Starlette reads it: `;`-separated pairs, later names win."""
    from http.cookies import _unquote  # type: ignore[attr-defined]

    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        if "=" in chunk:
            key, value = chunk.split("=", 1)
        else:
            key, value = "", chunk
        key, value = key.strip(), value.strip()
        if key or value:
            cookies[key] = _unquote(value)
    return cookies


class State:
    """An object to hang arbitrary attributes on: `app.state`, `request.state`."""

    def __init__(self, state: dict | None = None) -> None:
        if state is None:
            state = {}
        super().__setattr__("_state", state)

    def __setattr__(self, key: str, value: object) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> object:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'{self.__class__.__name__}' object has no attribute '{key}'") from None

    def __delattr__(self, key: str) -> None:
        del self._state[key]

    def __getitem__(self, key: str) -> object:
        return self._state[key]

    def __setitem__(self, key: str, value: object) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __iter__(self):
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)

    def __contains__(self, key: object) -> bool:
        return key in self._state


class FormData(QueryParams):
    """A parsed form body: `get` returns the last value of a field, `getlist` every value."""

    __slots__ = ()

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        super().__init__(list(items or []))

    async def close(self) -> None:
        """Close every uploaded file of the form (after the response, as FastAPI does)."""
        for _, value in self._items:
            if isinstance(value, UploadFile):
                await value.close()


class UploadFile:
    """A file part of a multipart/form-data body: Starlette's and FastAPI's UploadFile API.

    `file` is a SpooledTemporaryFile (in memory up to 1 MiB, then on disk); the async
    methods run in the thread pool once it is on disk."""

    def __init__(self, file: Any, *, size: int | None = None, filename: str | None = None,
                 headers: Headers | None = None) -> None:
        self.filename = filename
        self.file = file
        self.size = size
        self.headers = headers or Headers()
        self._max_mem_size = getattr(self.file, "_max_size", 0)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type", None)

    @property
    def _in_memory(self) -> bool:
        return not getattr(self.file, "_rolled", True)

    def _will_roll(self, size_to_add: int) -> bool:
        if not self._in_memory:
            return True
        future_size = self.file.tell() + size_to_add
        return bool(future_size > self._max_mem_size) if self._max_mem_size else False

    async def write(self, data: bytes) -> None:
        from astraapi.concurrency import run_in_threadpool

        if self.size is not None:
            self.size += len(data)
        if self._will_roll(len(data)):
            await run_in_threadpool(self.file.write, data)
        else:
            self.file.write(data)

    async def read(self, size: int = -1) -> bytes:
        from astraapi.concurrency import run_in_threadpool

        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        from astraapi.concurrency import run_in_threadpool

        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        from astraapi.concurrency import run_in_threadpool

        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(filename={self.filename!r}, size={self.size!r}, headers={self.headers!r})"

    @classmethod
    def _validate(cls, value: Any, _: Any) -> "UploadFile":
        if not isinstance(value, UploadFile):
            raise ValueError(f"Expected UploadFile, received: {type(value)}")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "contentMediaType": "application/octet-stream"}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core.core_schema import with_info_plain_validator_function

        return with_info_plain_validator_function(cls._validate)


def __getattr__(name: str) -> object:
    if name == "URL":  # defined with the request classes
        from astraapi.requests import URL

        return URL
    raise AttributeError(f"module 'astraapi.datastructures' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), "URL"])
