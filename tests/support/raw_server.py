"""A raw astraapi._runtime server for tests: trie tables from a route list, the server on its own
loop thread (as a worker runs it), and a raw-socket client. Used by tests/runtime (its conftest
gives them as fixtures) and by tests that need several servers of their own."""

from __future__ import annotations

import asyncio
import re
import socket
import threading

from astraapi import _runtime

METHOD_BITS = {"GET": 1, "HEAD": 2, "POST": 4, "PUT": 8, "DELETE": 16, "PATCH": 32, "OPTIONS": 64,
               "TRACE": 128, "CONNECT": 256}
EXTENSION_METHOD = 1 << 10  # any other method (QUERY, PROPFIND, ...): the route's Allow value names it
PARAM_KINDS = {"str": 0, "int": 1, "float": 2, "uuid": 3, "path": 4}
NO_ROUTE = 0xFFFFFFFF
DATE_RE = re.compile(rb"date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     rb"\d{4} \d\d:\d\d:\d\d GMT\r\n")


def build_tables(routes, redirect_slashes=True):
    """routes: [(methods, path)] in declaration order -> Trie.from_tables arguments (trie.h format)."""
    nodes = [{"static": {}, "params": {}, "routes": []}]
    route_rows = []
    for index, (methods, path) in enumerate(routes):
        assert path.startswith("/")
        node, count = 0, 0
        for part in path[1:].split("/"):
            m = re.fullmatch(r"\{(\w+)(?::(\w+))?\}", part)
            if m:
                table, key = nodes[node]["params"], PARAM_KINDS[m.group(2) or "str"]
                count += 1
            else:
                table, key = nodes[node]["static"], part
            if key not in table:
                table[key] = len(nodes)
                nodes.append({"static": {}, "params": {}, "routes": []})
            node = table[key]
        nodes[node]["routes"].append(index)
        route_rows.append((sum({METHOD_BITS.get(x, EXTENSION_METHOD) for x in methods}), ", ".join(methods), count))

    def seg_key(s):
        return (len(s.encode()), s.encode())

    order = [0]
    for i in order:
        order += [nodes[i]["static"][s] for s in sorted(nodes[i]["static"], key=seg_key)]
        order += [nodes[i]["params"][k] for k in sorted(nodes[i]["params"])]
    new = {old: n for n, old in enumerate(order)}
    min_route = {}
    for old in reversed(order):
        nd = nodes[old]
        cands = list(nd["routes"]) + [min_route[c] for c in nd["static"].values()]
        cands += [min_route[c] for c in nd["params"].values()]
        min_route[old] = min(cands, default=NO_ROUTE)
    t_nodes, t_edges, t_params, t_routes = [], [], [], []
    for old in order:
        nd = nodes[old]
        eb, pb, rb = len(t_edges), len(t_params), len(t_routes)
        t_edges += [(s, new[nd["static"][s]]) for s in sorted(nd["static"], key=seg_key)]
        t_params += [(k, new[nd["params"][k]]) for k in sorted(nd["params"])]
        t_routes += sorted(nd["routes"])
        t_nodes.append((eb, len(t_edges) - eb, pb, len(t_params) - pb, rb, len(t_routes) - rb, min_route[old]))
    return t_nodes, t_edges, t_params, t_routes, route_rows, redirect_slashes


def make_trie(routes, redirect_slashes=True):
    return _runtime.Trie.from_tables(*build_tables(routes, redirect_slashes))


class RunningServer:
    def __init__(self, handler, routes, **kwargs):
        self.trie = make_trie(routes)
        self.loop = asyncio.new_event_loop()
        self.server = _runtime.Server(handler, self.trie, "127.0.0.1", 0, **kwargs)
        self.port = self.server.port
        self.errors: list[BaseException] = []
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="astra-test-server", daemon=True)
        self.thread.start()
        assert self._ready.wait(5), "server loop did not start"

    def _poll(self):
        try:
            self.server.poll()
        except BaseException as exc:  # recorded, the test fails on it at teardown
            self.errors.append(exc)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.add_reader(self.server.fileno(), self._poll)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def call(self, fn, *args):
        """Run fn(*args) on the loop thread and wait for its result."""
        fut = asyncio.run_coroutine_threadsafe(self._call(fn, *args), self.loop)
        return fut.result(5)

    async def _call(self, fn, *args):
        return fn(*args)

    def stop(self):
        if not self.thread.is_alive():
            return

        def shutdown():
            self.loop.remove_reader(self.server.fileno())
            self.server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(shutdown)
        self.thread.join(5)
        assert not self.thread.is_alive(), "server loop did not stop"
        self.loop.close()


class Client:
    """A raw-socket HTTP client that can read several (pipelined) responses."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            self._fill()
        end = self.buf.index(marker) + len(marker)
        out = bytes(self.buf[:end])
        del self.buf[:end]
        return out

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_response(self, head_request=False):
        """-> (status, headers list[(name, value)], body, raw bytes)."""
        raw = self._read_until(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers = [tuple(line.split(b": ", 1)) for line in lines[1:]]
        hmap = {k: v for k, v in headers}
        body = b""
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif hmap.get(b"transfer-encoding") == b"chunked":
            chunks = b""
            while True:
                size_line = self._read_until(b"\r\n")
                raw += size_line
                size = int(size_line[:-2], 16)
                data = self._read_exact(size + 2)
                raw += data
                if size == 0:
                    break
                chunks += data[:-2]
            body = chunks
        elif b"content-length" in hmap:
            body = self._read_exact(int(hmap[b"content-length"]))
            raw += body
        return status, headers, body, raw

    def read_all(self) -> bytes:
        """Everything until the server closes (raises socket.timeout if it does not)."""
        out = bytearray(self.buf)
        self.buf.clear()
        while True:
            data = self.sock.recv(1 << 20)
            if not data:
                return bytes(out)
            out += data

    def is_closed_by_peer(self, timeout=3.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        return data == b""

    def close(self):
        self.sock.close()


def strip_date(raw: bytes) -> bytes:
    """Replace the date header value (checked for format) by a placeholder."""
    assert DATE_RE.search(raw), raw
    return DATE_RE.sub(b"date: DATE\r\n", raw, count=1)


