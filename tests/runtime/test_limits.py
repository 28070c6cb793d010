"""Limits and timeouts of the native server (docs/http-hardening.md): header count, header
and body read timeouts, keep-alive idle timeout, the connection limit, slow clients, graceful
shutdown, proxy headers and the access log."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest

ROUTES = [(("GET", "POST"), "/"), (("GET",), "/slow/{ms:int}"), (("GET",), "/items/"), (("GET",), "/info"),
          (("GET",), "/big")]
BIG = 8 * 1024 * 1024


class App:
    def __init__(self):
        self.seen = []

    def handler(self, request, route, params):
        self.seen.append((request.method, request.path))
        if route == 1:
            loop = asyncio.get_running_loop()
            loop.call_later(int(params[0]) / 1000, request.respond, 200, None, b'"slow"')
            return None
        if route == 3:
            import json

            info = {"client": list(request.client), "scheme": request.scheme}
            return 200, None, json.dumps(info).encode()
        if route == 4:
            return 200, [(b"content-length", str(BIG).encode())], b"b" * BIG
        return 200, None, b'"ok"'


@pytest.fixture
def app():
    return App()


def GET(path, extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"


def test_header_count_limit_431(serve, app, connect):
    s = serve(app.handler, ROUTES, max_header_count=10)
    c = connect(s.port)
    c.send(GET("/", b"".join(b"X-%d: v\r\n" % i for i in range(9))))  # 9 + Host = 10
    assert c.read_response()[0] == 200
    c.send(GET("/", b"".join(b"X-%d: v\r\n" % i for i in range(10))))
    status, headers, body, _ = c.read_response()
    assert (status, body) == (431, b"Request Header Fields Too Large")
    assert c.is_closed_by_peer()


def test_default_header_count_is_100(serve, app, connect):
    s = serve(app.handler, ROUTES)
    c = connect(s.port)
    c.send(GET("/", b"".join(b"X-%d: v\r\n" % i for i in range(99))))
    assert c.read_response()[0] == 200
    c.send(GET("/", b"".join(b"X-%d: v\r\n" % i for i in range(100))))
    assert c.read_response()[0] == 431


def test_trailers_count_towards_header_size(serve, app, connect):
    s = serve(app.handler, ROUTES, max_header_size=1024)
    c = connect(s.port)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
           + b"X-T: " + b"t" * 2000 + b"\r\n\r\n")
    assert c.read_response()[0] == 431
    assert c.is_closed_by_peer()


def test_header_timeout_408(serve, app, connect, nodate):
    s = serve(app.handler, ROUTES, header_timeout=1)
    c = connect(s.port, timeout=6)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never complete
    t0 = time.monotonic()
    raw = c.read_all()
    assert 0.9 < time.monotonic() - t0 < 3.5
    assert nodate(raw) == (b"HTTP/1.1 408 Request Timeout\r\ndate: DATE\r\nserver: astraapi\r\n"
                           b"content-type: text/plain; charset=utf-8\r\ncontent-length: 15\r\nconnection: close\r\n\r\n"
                           b"Request Timeout")
    assert app.seen == []


def test_header_timeout_is_total_not_per_byte(serve, app, connect):
    """A client dripping its headers is cut off even though each byte arrives in time."""
    import select

    s = serve(app.handler, ROUTES, header_timeout=2)
    c = connect(s.port, timeout=8)
    t0 = time.monotonic()
    for byte in GET("/", b"X-Pad: " + b"p" * 100 + b"\r\n"):
        c.send(bytes([byte]))
        if select.select([c.sock], [], [], 0.2)[0] or time.monotonic() - t0 > 6:
            break
    answered_at = time.monotonic() - t0
    assert c.read_response()[0] == 408
    assert 1.9 < answered_at < 3.8
    assert app.seen == []


def test_body_timeout_408(serve, app, connect):
    s = serve(app.handler, ROUTES, body_timeout=1)
    c = connect(s.port, timeout=6)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    t0 = time.monotonic()
    status, headers, body, _ = c.read_response()
    assert status == 408 and (b"connection", b"close") in headers
    assert 0.9 < time.monotonic() - t0 < 3.5
    assert c.is_closed_by_peer()
    assert app.seen == []


def test_no_timeout_while_the_handler_works(serve, app, connect):
    s = serve(app.handler, ROUTES, header_timeout=1, body_timeout=1, idle_timeout=1)
    c = connect(s.port, timeout=8)
    c.send(GET("/slow/2500"))
    assert c.read_response()[2] == b'"slow"'


def test_idle_connection_without_request_closed_by_keep_alive_timeout(serve, app, connect):
    s = serve(app.handler, ROUTES, idle_timeout=1)
    c = connect(s.port, timeout=6)
    t0 = time.monotonic()
    assert c.is_closed_by_peer(timeout=4)
    assert 0.9 < time.monotonic() - t0 < 3.5


def test_slow_client_does_not_block_others(serve, app, connect):
    """One client sends a byte per second; others are served at full speed meanwhile."""
    s = serve(app.handler, ROUTES)
    slow = connect(s.port, timeout=10)
    stop = threading.Event()

    def drip():
        data = GET("/", b"X-Slow: " + b"s" * 50 + b"\r\n")
        for byte in data:
            if stop.is_set():
                return
            try:
                slow.send(bytes([byte]))
            except OSError:
                return
            stop.wait(1.0)

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        for _ in range(20):
            c = connect(s.port, timeout=2)
            for _ in range(10):
                c.send(GET("/items/"))
                assert c.read_response()[0] == 200
            c.close()
        assert time.monotonic() - t0 < 2.0  # 200 requests; a blocked server would take > 1 s each
    finally:
        stop.set()
        t.join(3)


def test_max_connections_503_and_close(serve, app, connect, nodate):
    s = serve(app.handler, ROUTES, max_connections=2)
    a, b = connect(s.port), connect(s.port)
    a.send(GET("/"))
    b.send(GET("/"))
    assert a.read_response()[0] == 200 and b.read_response()[0] == 200
    c = connect(s.port)
    raw = c.read_all()
    assert nodate(raw) == (b"HTTP/1.1 503 Service Unavailable\r\ndate: DATE\r\nserver: astraapi\r\n"
                           b"content-type: text/plain; charset=utf-8\r\ncontent-length: 19\r\n"
                           b"connection: close\r\n\r\nService Unavailable")
    a.close()
    deadline = time.monotonic() + 3
    while s.call(lambda: s.server.connection_count) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    d = connect(s.port)
    d.send(GET("/"))
    assert d.read_response()[0] == 200


def test_graceful_shutdown_finishes_in_flight_and_closes_idle(serve, app, connect):
    s = serve(app.handler, ROUTES)
    idle = connect(s.port)
    idle.send(GET("/"))
    assert idle.read_response()[0] == 200
    busy = connect(s.port, timeout=5)
    busy.send(GET("/slow/600") + GET("/"))  # the pipelined second request is served too
    time.sleep(0.1)
    s.call(s.server.shutdown)
    assert s.call(lambda: s.server.draining)
    assert idle.is_closed_by_peer(timeout=2)
    status, headers, body, _ = busy.read_response()
    assert (status, body) == (200, b'"slow"') and not any(k == b"connection" for k, _ in headers)
    status, headers, body, _ = busy.read_response()
    assert (status, body) == (200, b'"ok"') and (b"connection", b"close") in headers
    assert busy.is_closed_by_peer(timeout=3)
    assert app.seen[-2:] == [("GET", "/slow/600"), ("GET", "/")]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
    deadline = time.monotonic() + 4
    while s.call(lambda: s.server.connection_count) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert s.call(lambda: s.server.connection_count) == 0


def test_proxy_headers_from_trusted_peer(serve, app, connect):
    import json

    s = serve(app.handler, ROUTES, proxy_headers=True)  # trusts 127.0.0.1 by default, as uvicorn
    c = connect(s.port)
    c.send(GET("/info", b"X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"))
    assert json.loads(c.read_response()[2]) == {"client": ["203.0.113.7", 0], "scheme": "https"}
    c.send(GET("/items", b"X-Forwarded-Proto: https\r\n"))  # the redirect keeps the forwarded scheme
    status, headers, _, _ = c.read_response()
    assert status == 307 and (b"location", b"https://x/items/") in headers
    c.send(GET("/info", b"X-Forwarded-For: [2001:db8::1]:8080\r\nX-Forwarded-Proto: gopher\r\n"))
    assert json.loads(c.read_response()[2]) == {"client": ["2001:db8::1", 8080], "scheme": "http"}


def test_proxy_headers_ignored_from_untrusted_peer(serve, app, connect):
    import json

    s = serve(app.handler, ROUTES, proxy_headers=True, forwarded_allow_ips="10.0.0.0/8, 192.168.1.1")
    c = connect(s.port)
    c.send(GET("/info", b"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"))
    info = json.loads(c.read_response()[2])
    assert info["client"][0] == "127.0.0.1" and info["scheme"] == "http"
    off = serve(app.handler, ROUTES)  # proxy_headers off
    c2 = connect(off.port)
    c2.send(GET("/info", b"X-Forwarded-For: 203.0.113.7\r\n"))
    assert json.loads(c2.read_response()[2])["client"][0] == "127.0.0.1"


def test_proxy_headers_trust_chain(serve, app, connect):
    import json

    s = serve(app.handler, ROUTES, proxy_headers=True, forwarded_allow_ips="127.0.0.1,10.1.0.0/16")
    c = connect(s.port)
    c.send(GET("/info", b"X-Forwarded-For: 198.51.100.1, 198.51.100.2\r\nX-Forwarded-For: 10.1.2.3\r\n"))
    assert json.loads(c.read_response()[2])["client"] == ["198.51.100.2", 0]
    s2 = serve(app.handler, ROUTES, proxy_headers=True, forwarded_allow_ips="*")
    c2 = connect(s2.port)
    c2.send(GET("/info", b"X-Forwarded-For: 198.51.100.1:99, 198.51.100.2\r\n"))
    assert json.loads(c2.read_response()[2])["client"] == ["198.51.100.1", 99]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_access_log(serve, app, connect):
    from astraapi.server.serve import AccessFormatter

    log = logging.getLogger("astraapi.access")
    rec = _Records()
    log.addHandler(rec)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        s = serve(app.handler, ROUTES, access_log=True, proxy_headers=True)
        c = connect(s.port)
        c.send(GET("/?a=1") + GET("/nope") + GET("/slow/10") + GET("/items")
               + GET("/", b"X-Forwarded-For: 198.51.100.9\r\n"))
        for _ in range(5):
            c.read_response()
        port = c.sock.getsockname()[1]
    finally:
        log.removeHandler(rec)
        log.setLevel(old_level)
    lines = [r.getMessage() for r in rec.records]
    assert lines == [
        f'127.0.0.1:{port} - "GET /?a=1 HTTP/1.1" 200',
        f'127.0.0.1:{port} - "GET /nope HTTP/1.1" 404',
        f'127.0.0.1:{port} - "GET /slow/10 HTTP/1.1" 200',
        f'127.0.0.1:{port} - "GET /items HTTP/1.1" 307',
        '198.51.100.9:0 - "GET / HTTP/1.1" 200',
    ]
    formatted = AccessFormatter("%(levelname)s:     %(message)s").format(rec.records[1])
    assert formatted == f'INFO:     127.0.0.1:{port} - "GET /nope HTTP/1.1" 404 Not Found'


def test_access_log_off_by_default(serve, app, connect):
    log = logging.getLogger("astraapi.access")
    rec = _Records()
    log.addHandler(rec)
    try:
        s = serve(app.handler, ROUTES)
        c = connect(s.port)
        c.send(GET("/"))
        c.read_response()
    finally:
        log.removeHandler(rec)
    assert rec.records == []


def _small_buffer_client(connect, port):
    c = connect(port, timeout=5)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    return c


def test_client_that_stops_reading_is_closed(serve, app, connect):
    s = serve(app.handler, ROUTES, body_timeout=1)
    c = _small_buffer_client(connect, s.port)
    c.send(GET("/big"))
    time.sleep(3.2)  # read nothing: the server's send stalls for more than body_timeout
    got = 0
    try:
        while True:
            data = c.sock.recv(1 << 20)
            if not data:
                break
            got += len(data)
    except ConnectionResetError:
        pass
    assert got < BIG


def test_slow_but_steady_reader_gets_everything(serve, app, connect):
    s = serve(app.handler, ROUTES, body_timeout=1)
    c = _small_buffer_client(connect, s.port)
    c.send(GET("/big"))
    t0 = time.monotonic()
    head = c._read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    got = len(c.buf)
    c.buf.clear()
    while got < BIG:
        data = c.sock.recv(128 * 1024)
        assert data, "closed early"
        got += len(data)
        time.sleep(0.015)
    assert time.monotonic() - t0 > 2.2  # over two sweeps past body_timeout, yet not cut off


SPECS = ["127.0.0.1", "*", "127.0.0.1, 10.0.0.0/8", "::1, 127.0.0.0/8", "127.0.0.1,some-literal"]
XFF = ["1.2.3.4", "1.2.3.4, 10.1.1.1", "  1.2.3.4:80 ,10.0.0.1", "[::1]:443", "unknown, 1.1.1.1", "", ",",
       "some-literal, 5.5.5.5", "5.5.5.5, some-literal", "1.2.3.4:notaport", "[2001:db8::1]x", "10.0.0.1, 10.0.0.2",
       "127.0.0.1", "::1", "1.2.3.4:+5"]
PROTO = ["https", " https ", "HTTPS", "wss", "ftp", ""]


@pytest.mark.parametrize("spec", SPECS)
def test_proxy_headers_match_uvicorn(serve, app, connect, spec):
    """Client and scheme as uvicorn's ProxyHeadersMiddleware computes them, for the same headers."""
    import json

    middleware = pytest.importorskip("uvicorn.middleware.proxy_headers")

    def uvicorn_view(xff, proto, peer):
        scope = {"type": "http", "client": peer, "scheme": "http",
                 "headers": [(b"x-forwarded-for", xff.encode()), (b"x-forwarded-proto", proto.encode())]}
        seen = {}

        async def inner(scope, receive, send):
            seen.update(client=list(scope["client"]), scheme=scope["scheme"])

        asyncio.run(middleware.ProxyHeadersMiddleware(inner, trusted_hosts=spec)(scope, None, None))
        return seen

    s = serve(app.handler, ROUTES, proxy_headers=True, forwarded_allow_ips=spec)
    c = connect(s.port)
    peer = c.sock.getsockname()
    for i, xff in enumerate(XFF):
        proto = PROTO[i % len(PROTO)]
        c.send(GET("/info", b"X-Forwarded-For: %s\r\nX-Forwarded-Proto: %s\r\n" % (xff.encode(), proto.encode())))
        ours = json.loads(c.read_response()[2])
        assert ours == uvicorn_view(xff, proto, peer), (spec, xff, proto)


def test_shutdown_is_idempotent_and_close_follows(serve, app, connect):
    s = serve(app.handler, ROUTES)
    c = connect(s.port)
    c.send(GET("/"))
    assert c.read_response()[0] == 200
    s.call(s.server.shutdown)
    s.call(s.server.shutdown)
    assert c.is_closed_by_peer(timeout=2)
    assert s.call(lambda: s.server.connection_count) == 0
    s.call(s.server.close)
    assert s.call(lambda: s.server.closed)


def _drip(c, total: int, piece: int, pause: float, deadline: float = 6.0):
    """Send `total` body bytes in `piece`-byte writes `pause` s apart; stop early if the server answers."""
    import select

    sent, t0 = 0, time.monotonic()
    while sent < total and time.monotonic() - t0 < deadline:
        n = min(piece, total - sent)
        try:
            c.send(b"b" * n)
        except OSError:
            return sent
        sent += n
        if select.select([c.sock], [], [], pause)[0]:
            return sent
    return sent


def test_body_below_min_rate_408(serve, app, connect):
    """100 B/s against a 1000 B/s minimum (grace 1 s): 408 and closed, the handler never runs."""
    s = serve(app.handler, ROUTES, body_min_rate=1000, body_min_rate_grace=1, body_timeout=30)
    c = connect(s.port, timeout=8)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
    sent = _drip(c, 5000, 20, 0.2)
    assert sent < 5000
    status, headers, body, _ = c.read_response()
    assert (status, body) == (408, b"Request Timeout") and (b"connection", b"close") in headers
    assert c.is_closed_by_peer()
    assert app.seen == []


def test_body_above_min_rate_succeeds(serve, app, connect):
    """A slow upload that stays above the minimum rate (about 3000 B/s against 1000) is served."""
    s = serve(app.handler, ROUTES, body_min_rate=1000, body_min_rate_grace=1, body_timeout=30)
    c = connect(s.port, timeout=8)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6000\r\n\r\n")
    assert _drip(c, 6000, 300, 0.1) == 6000
    status, headers, body, _ = c.read_response()
    assert (status, body) == (200, b'"ok"')
    assert app.seen == [("POST", "/")]


def test_min_rate_off_by_default_on_the_runtime_server(serve, app, connect):
    """The low-level Server has no minimum rate unless asked (ServerConfig's default is 240 B/s)."""
    from astraapi.server.config import ServerConfig

    assert ServerConfig().server_kwargs()["body_min_rate"] == 240
    s = serve(app.handler, ROUTES, body_timeout=30)
    c = connect(s.port, timeout=8)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n")
    assert _drip(c, 40, 4, 0.15) == 40  # about 27 B/s for 1.5 s
    assert c.read_response()[0] == 200
