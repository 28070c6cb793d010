"""Differential harness: one app source, served by FastAPI's TestClient and by our Executor.

An app is written once as source text importing from `FRAMEWORK`; `load_pair` imports it
twice, once with `fastapi` and once with `astraapi`. `EngineClient` drives
`Executor.handle` directly with a fake native request (the attributes of
`astraapi._runtime.Request`), inside an asyncio loop, and matches paths with a small
regex matcher (the real trie is tested elsewhere).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import re
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from astraapi.introspection.app import build_ir
from astraapi.engine import Executor

Result = tuple[int, list[tuple[bytes, bytes]], bytes]
_counter = itertools.count()


def load_pair(source: str, directory: Path) -> tuple[Any, Any]:
    """(fastapi module, astraapi module) for one app source."""
    source = textwrap.dedent(source)
    modules = []
    for framework in ("fastapi", "astraapi"):
        name = f"engine_app_{framework}_{next(_counter)}"
        path = directory / f"{name}.py"
        path.write_text(source.replace("FRAMEWORK", framework))
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        modules.append(module)
    return modules[0], modules[1]


class FakeRequest:
    """The attributes the server's native Request has, plus a future for deferred answers."""

    def __init__(self, method: str, path: str, query_string: bytes, headers: list[tuple[bytes, bytes]],
                 body: bytes, loop: asyncio.AbstractEventLoop) -> None:
        self.method = method
        self.raw_path = path.encode("latin-1")
        self.path = unquote(path)
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.client = ("127.0.0.1", 50000)
        self.http_version = "1.1"
        self.answer: asyncio.Future[Result] = loop.create_future()

    on_respond: Any = None  # called when the answer is given (to observe what runs after it)

    responded = False
    chunks: list[bytes] | None = None
    stream_head: tuple[int, list[tuple[bytes, bytes]]] | None = None

    @property
    def connected(self) -> bool:
        return not self.answer.done()

    # The streamed answer of the handler contract: the pieces are joined into one body.
    def start_response(self, status: int, headers: list[tuple[bytes, bytes]]) -> bool:
        assert not self.responded and self.stream_head is None, "start_response() after an answer"
        self.responded = True
        self.stream_head = (status, list(headers))
        self.chunks = []
        return True

    def send(self, chunk: bytes) -> bool:
        assert self.chunks is not None and not self.answer.done()
        assert isinstance(chunk, bytes)
        if self.method != "HEAD":
            self.chunks.append(chunk)
        return True

    def send_file(self, fd: int, segments: list[tuple[bytes, int, int]], tail: bytes = b"") -> int:
        """The native server sends these with sendfile(2); here the bytes are read back."""
        import os

        assert self.chunks is not None and not self.answer.done()
        if self.method != "HEAD":
            for before, offset, length in segments:
                self.chunks.append(before + os.pread(fd, length, offset))
            self.chunks.append(tail)
        return 1

    def end(self) -> bool:
        assert self.stream_head is not None and self.chunks is not None
        self.answer.set_result((*self.stream_head, b"".join(self.chunks)))
        if self.on_respond is not None:
            self.on_respond()
        return True

    def abort(self) -> None:
        assert self.stream_head is not None
        if not self.answer.done():
            self.answer.set_exception(ConnectionAbortedError("stream aborted"))

    def on_drain(self, callback: Any) -> None:
        callback()

    def respond(self, status: int, headers: list[tuple[bytes, bytes]] | None, body: bytes) -> bool:
        assert not self.answer.done(), "respond() called twice"
        self.responded = True
        self.answer.set_result((status, headers, body))
        if self.on_respond is not None:
            self.on_respond()
        return True


def _route_pattern(path: str) -> re.Pattern[str]:
    pattern = ""
    for literal, name, convertor in re.findall(r"([^{]*)(?:{([a-zA-Z_]\w*)(?::(\w+))?})?", path):
        pattern += re.escape(literal)
        if name:
            pattern += "(.*)" if convertor == "path" else "([^/]+)"
    return re.compile(pattern + "$")


def _is_client_task(task: asyncio.Task[Any]) -> bool:
    """A request the test itself is making (concurrent requests must not wait for each other)."""
    name = getattr(task.get_coro(), "__qualname__", "")
    return name.startswith(("EngineClient.", "_GatheringFuture")) or "burst" in name


class EngineClient:
    def __init__(self, app: Any) -> None:
        self.ir = build_ir(app)
        self.executor = Executor(app, self.ir)
        self.routes = [(_route_pattern(r.path), r) for r in self.ir.routes]
        self.loop = asyncio.new_event_loop()
        self.deferred = 0  # how many answers came through respond()
        self.on_respond: Any = None

    def close(self) -> None:
        self.loop.close()

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                content: bytes | None = None) -> Result:
        return self.loop.run_until_complete(self._request(method, url, headers or {}, content or b""))

    async def _request(self, method: str, url: str, headers: dict[str, str], content: bytes) -> Result:
        path, _, query = url.partition("?")
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if content:
            raw_headers.append((b"content-length", str(len(content)).encode()))
        request = FakeRequest(method, path, query.encode("latin-1"), raw_headers, content, self.loop)
        request.on_respond = self.on_respond
        for pattern, route in self.routes:
            match = pattern.match(request.path)
            if match and method in route.methods:
                result = self.executor.handle(request, route.index, match.groups())
                if result is None:
                    self.deferred += 1
                    result = await asyncio.wait_for(request.answer, 10)
                elif self.on_respond is not None:
                    self.on_respond()
                # Let what runs after the answer (background tasks, dependency exit code) finish.
                current = asyncio.current_task()
                pending = [t for t in asyncio.all_tasks(self.loop)
                           if t is not current and not _is_client_task(t)]
                if pending:
                    await asyncio.wait(pending, timeout=10)
                status, response_headers, body = result
                if response_headers is None:
                    response_headers = [(b"content-length", str(len(body)).encode()),
                                        (b"content-type", b"application/json")]
                return status, list(response_headers), body
        raise AssertionError(f"no route for {method} {url} in the test matcher")


class FastAPIClient:
    def __init__(self, app: Any) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app, raise_server_exceptions=False)

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                content: bytes | None = None) -> Result:
        response = self.client.request(method, url, headers=headers, content=content, follow_redirects=False)
        return response.status_code, list(response.headers.raw), response.content


class Pair:
    """Sends each request to both and checks the answers are identical."""

    def __init__(self, source: str, directory: Path) -> None:
        reference, ours = load_pair(source, directory)
        self.reference_module, self.our_module = reference, ours
        self.reference = FastAPIClient(reference.app)
        self.ours = EngineClient(ours.app)
        if isinstance(getattr(ours, "EVENTS", None), list):
            self.ours.on_respond = lambda: ours.EVENTS.append("<response sent>")

    def events(self) -> tuple[list[Any], list[Any]]:
        """(FastAPI's, ours) side-effect logs of apps that keep an `EVENTS` list, then cleared;
        ours has "<response sent>" where the answer was given, removed from the comparison copy."""
        reference = list(self.reference_module.EVENTS)
        ours = list(self.our_module.EVENTS)
        self.reference_module.EVENTS.clear()
        self.our_module.EVENTS.clear()
        return reference, ours

    def check_events(self) -> list[Any]:
        """Asserts both apps logged the same events in the same order; returns ours (with the marker)."""
        reference, ours = self.events()
        assert [e for e in ours if e != "<response sent>"] == reference
        return ours

    def check(self, method: str, url: str, *, headers: dict[str, str] | None = None,
              content: bytes | None = None) -> Result:
        expected = self.reference.request(method, url, headers=headers, content=content)
        actual = self.ours.request(method, url, headers=headers, content=content)
        assert actual == expected, f"{method} {url}: ours != FastAPI's\n{actual!r}\n{expected!r}"
        return actual
