"""astraapi._runtime.Server over real sockets: framing, keep-alive, pipelining, deferred
answers, built-in responses and error paths, byte for byte where uvicorn/FastAPI fix the bytes."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time

import pytest

ROUTES = [
    (("GET", "HEAD"), "/items/"),        # 0
    (("POST",), "/echo"),                # 1
    (("GET",), "/slow/{ms:int}"),        # 2  deferred answer after ms
    (("GET",), "/big/{n:int}"),          # 3  n-byte body
    (("GET",), "/boom"),                 # 4  handler raises
    (("GET",), "/files/{rest:path}"),    # 5
    (("GET",), "/p/{name}"),             # 6  request attributes
    (("GET",), "/inline"),               # 7  respond() inside the handler, returns None
    (("GET",), "/noframing"),            # 8  headers without content-length -> chunked
    (("GET",), "/badheader"),            # 9  invalid header value -> 500
    (("GET",), "/close-header"),         # 10 handler asks to close
    (("GET",), "/gone/{ms:int}"),        # 11 deferred; records respond()'s result
    (("GET",), "/twice"),                # 12 respond() twice
    (("POST",), "/x"),                   # 13 for 405
]


class App:
    def __init__(self):
        self.respond_results = []
        self.double_respond_error = None
        self.requests = []

    def handler(self, request, route, params):
        self.requests.append((route, params))
        if route == 0:
            return 200, None, b'{"a":1}'
        if route == 1:
            body = request.body
            return 200, [(b"content-length", str(len(body)).encode()), (b"content-type", b"text/plain")], body
        if route == 2:
            loop = asyncio.get_running_loop()
            body = json.dumps({"slow": int(params[0])}).encode()
            loop.call_later(int(params[0]) / 1000, request.respond, 200, None, body)
            return None
        if route == 3:
            return 200, None, b"x" * int(params[0])
        if route == 4:
            raise ValueError("boom")
        if route in (5, 6):
            info = {
                "params": list(params),
                "method": request.method,
                "path": request.path,
                "raw_path": request.raw_path.decode(),
                "query": request.query_string.decode(),
                "version": request.http_version,
                "client": list(request.client),
                "headers": [[k.decode(), v.decode()] for k, v in request.headers],
            }
            return 200, None, json.dumps(info).encode()
        if route == 7:
            assert request.respond(201, None, b'"inline"') is True
            return None
        if route == 8:
            return 200, [(b"content-type", b"text/plain")], b"hello"
        if route == 9:
            return 200, [(b"x-bad", b"a\nb"), (b"content-length", b"1")], b"x"
        if route == 10:
            return 200, [(b"content-length", b"2"), (b"Connection", b"close")], b"ok"
        if route == 11:
            def later():
                self.respond_results.append(request.respond(200, None, b"{}"))
            asyncio.get_running_loop().call_later(int(params[0]) / 1000, later)
            return None
        if route == 12:
            request.respond(200, None, b"1")
            try:
                request.respond(200, None, b"2")
            except RuntimeError as exc:
                self.double_respond_error = exc
            return None
        return 200, None, b"null"


@pytest.fixture
def app():
    return App()


@pytest.fixture
def server(serve, app):
    return serve(app.handler, ROUTES)


def GET(path, extra=b"", version=b"1.1"):
    return b"GET " + path.encode() + b" HTTP/" + version + b"\r\nHost: testserver\r\n" + extra + b"\r\n"


def test_simple_get_exact_bytes(server, connect, nodate):
    c = connect(server.port)
    c.send(GET("/items/"))
    status, headers, body, raw = c.read_response()
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 7\r\n"
                           b"content-type: application/json\r\n\r\n{\"a\":1}")


def test_keep_alive_sequential(server, connect):
    c = connect(server.port)
    for _ in range(5):
        c.send(GET("/items/"))
        status, _, body, _ = c.read_response()
        assert (status, body) == (200, b'{"a":1}')


def test_pipelining_in_order_with_deferred(server, connect):
    c = connect(server.port)
    c.send(GET("/slow/150") + GET("/items/") + GET("/slow/10") + GET("/nope") + GET("/slow/50") + GET("/inline"))
    got = [c.read_response()[2] for _ in range(6)]
    assert got == [b'{"slow": 150}', b'{"a":1}', b'{"slow": 10}', b'{"detail":"Not Found"}',
                   b'{"slow": 50}', b'"inline"']


def test_pipelining_split_across_packets(server, connect):
    c = connect(server.port)
    data = (GET("/items/") + b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + GET("/slow/5")) * 3
    for i in range(0, len(data), 7):
        c.send(data[i:i + 7])
        time.sleep(0.001)
    got = [c.read_response()[2] for _ in range(9)]
    assert got == [b'{"a":1}', b"hello", b'{"slow": 5}'] * 3


def test_http10_closes(server, connect, nodate):
    c = connect(server.port)
    c.send(b"GET /items/ HTTP/1.0\r\n\r\n")
    raw = c.read_all()
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 7\r\n"
                           b"content-type: application/json\r\nconnection: close\r\n\r\n{\"a\":1}")


def test_http10_keep_alive_header(server, connect):
    c = connect(server.port)
    for _ in range(2):
        c.send(b"GET /items/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, body, _ = c.read_response()
        assert status == 200 and (b"connection", b"keep-alive") in headers
    assert not c.is_closed_by_peer(0.3)


def test_connection_close_honoured(server, connect, nodate):
    c = connect(server.port)
    c.send(GET("/items/", b"Connection: close\r\n") + GET("/items/"))
    raw = c.read_all()
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 7\r\n"
                           b"content-type: application/json\r\nconnection: close\r\n\r\n{\"a\":1}")


def test_handler_connection_close_header(server, connect):
    c = connect(server.port)
    c.send(GET("/close-header") + GET("/items/"))
    raw = c.read_all()
    assert raw.endswith(b"connection: close\r\n\r\nok")
    assert raw.count(b"HTTP/1.1") == 1


def test_chunked_request_body(server, connect):
    c = connect(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n")
    status, _, body, _ = c.read_response()
    assert (status, body) == (200, b"hello, world")
    c.send(GET("/items/"))
    assert c.read_response()[0] == 200


def test_content_length_body_in_pieces(server, connect):
    c = connect(server.port)
    payload = bytes(range(256)) * 1000
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload))
    for i in range(0, len(payload), 50000):
        c.send(payload[i:i + 50000])
    status, _, body, _ = c.read_response()
    assert status == 200 and body == payload


def test_expect_100_continue(server, connect):
    c = connect(server.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    assert c._read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    c.send(b"abc")
    assert c.read_response()[2] == b"abc"


def test_head_omits_body_keeps_length(server, connect, nodate):
    c = connect(server.port)
    c.send(b"HEAD /items/ HTTP/1.1\r\nHost: x\r\n\r\n" + GET("/items/"))
    status, headers, body, raw = c.read_response(head_request=True)
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 7\r\n"
                           b"content-type: application/json\r\n\r\n")
    assert c.read_response()[2] == b'{"a":1}'  # framing intact: no stray body bytes


def test_head_on_builtin_404(server, connect, nodate):
    c = connect(server.port)
    c.send(b"HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n" + GET("/items/"))
    raw = c.read_response(head_request=True)[3]
    assert nodate(raw) == (b"HTTP/1.1 404 Not Found\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 22\r\n"
                           b"content-type: application/json\r\n\r\n")
    assert c.read_response()[2] == b'{"a":1}'


def test_404_405_307_exact_bytes(server, connect, nodate):
    c = connect(server.port)
    c.send(GET("/nope") + GET("/x") + b"GET /items?q=%20a HTTP/1.1\r\nHost: h:1\r\n\r\n" + GET("/p/a/"))
    assert nodate(c.read_response()[3]) == (
        b"HTTP/1.1 404 Not Found\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 22\r\n"
        b"content-type: application/json\r\n\r\n{\"detail\":\"Not Found\"}")
    assert nodate(c.read_response()[3]) == (
        b"HTTP/1.1 405 Method Not Allowed\r\ndate: DATE\r\nserver: astraapi\r\nallow: POST\r\n"
        b"content-length: 31\r\ncontent-type: application/json\r\n\r\n{\"detail\":\"Method Not Allowed\"}")
    assert nodate(c.read_response()[3]) == (
        b"HTTP/1.1 307 Temporary Redirect\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 0\r\n"
        b"location: http://h:1/items/?q=%20a\r\n\r\n")
    assert nodate(c.read_response()[3]) == (
        b"HTTP/1.1 307 Temporary Redirect\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 0\r\n"
        b"location: http://testserver/p/a\r\n\r\n")


def test_307_without_host_uses_local_address(server, connect, nodate):
    c = connect(server.port)
    c.send(b"GET /items HTTP/1.0\r\n\r\n")
    assert nodate(c.read_all()) == (
        b"HTTP/1.1 307 Temporary Redirect\r\ndate: DATE\r\nserver: astraapi\r\ncontent-length: 0\r\n"
        b"location: http://127.0.0.1:%d/items/\r\nconnection: close\r\n\r\n" % server.port)


def test_unknown_method_is_405(server, connect):
    c = connect(server.port)
    c.send(b"PROPFIND /items/ HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _, _ = c.read_response()
    assert status == 405 and (b"allow", b"GET, HEAD") in headers


BAD_400 = (b"HTTP/1.1 400 Bad Request\r\ndate: DATE\r\nserver: astraapi\r\n"
           b"content-type: text/plain; charset=utf-8\r\ncontent-length: 30\r\nconnection: close\r\n\r\n"
           b"Invalid HTTP request received.")


@pytest.mark.parametrize("request_bytes", [
    b"GET /items/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"GET /items/ HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET /items/ HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["cl+te", "two-cl", "two-equal-cl", "bad-chunk-size", "obs-fold", "garbage", "space-before-colon",
        "non-ascii-path", "asterisk"])
def test_malformed_is_400_and_closed(server, connect, nodate, app, request_bytes):
    c = connect(server.port)
    c.send(request_bytes + GET("/items/"))
    assert nodate(c.read_all()) == BAD_400
    assert app.requests == []


def test_400_after_good_pipelined_request(server, connect, nodate):
    c = connect(server.port)
    c.send(GET("/slow/20") + b"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
    raw = c.read_all()
    first, _, rest = raw.partition(b'{"slow": 20}')
    assert first.startswith(b"HTTP/1.1 200 OK") and nodate(rest) == BAD_400


def test_header_limit_431(serve, app, connect, nodate):
    s = serve(app.handler, ROUTES, max_header_size=1024)
    c = connect(s.port)
    c.send(GET("/items/", b"X-Big: " + b"a" * 2000 + b"\r\n"))
    assert nodate(c.read_all()) == (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ndate: DATE\r\nserver: astraapi\r\n"
        b"content-type: text/plain; charset=utf-8\r\ncontent-length: 31\r\nconnection: close\r\n\r\n"
        b"Request Header Fields Too Large")


def test_default_header_limit_is_64k(server, connect):
    c = connect(server.port)
    c.send(GET("/items/", b"X-Big: " + b"a" * 60000 + b"\r\n"))
    assert c.read_response()[0] == 200
    c.send(GET("/items/", b"X-Big: " + b"a" * 70000 + b"\r\n"))
    assert c.read_response()[0] == 431
    assert c.is_closed_by_peer()


def test_body_limit_413_content_length(serve, app, connect):
    s = serve(app.handler, ROUTES, max_body_size=1000)
    c = connect(s.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
    status, headers, body, _ = c.read_response()
    assert status == 413 and (b"connection", b"close") in headers
    assert c.is_closed_by_peer()
    c2 = connect(s.port)
    c2.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"y" * 1000)
    assert c2.read_response()[2] == b"y" * 1000


def test_body_limit_413_chunked(serve, app, connect):
    s = serve(app.handler, ROUTES, max_body_size=1000)
    c = connect(s.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"200\r\n" + b"a" * 512 + b"\r\n200\r\n" + b"b" * 512 + b"\r\n0\r\n\r\n")
    assert c.read_response()[0] == 413
    assert c.is_closed_by_peer()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_handler_exception_500_and_logged(server, connect, nodate):
    log = logging.getLogger("astraapi.error")
    rec = _Records()
    log.addHandler(rec)
    try:
        c = connect(server.port)
        c.send(GET("/boom") + GET("/items/"))
        raw = c.read_all()  # uvicorn closes the connection after an application error
    finally:
        log.removeHandler(rec)
    assert nodate(raw) == (b"HTTP/1.1 500 Internal Server Error\r\ndate: DATE\r\nserver: astraapi\r\n"
                           b"content-length: 21\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n"
                           b"Internal Server Error")
    assert len(rec.records) == 1 and rec.records[0].exc_info[0] is ValueError


def test_invalid_response_header_is_500(server, connect):
    logging.getLogger("astraapi.error").disabled = True
    try:
        c = connect(server.port)
        c.send(GET("/badheader"))
        assert c.read_response()[0] == 500
    finally:
        logging.getLogger("astraapi.error").disabled = False


def test_response_without_length_is_chunked(server, connect, nodate):
    c = connect(server.port)
    c.send(GET("/noframing") + GET("/items/"))
    status, _, body, raw = c.read_response()
    assert nodate(raw) == (b"HTTP/1.1 200 OK\r\ndate: DATE\r\nserver: astraapi\r\ncontent-type: text/plain\r\n"
                           b"transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert c.read_response()[2] == b'{"a":1}'


def test_request_attributes_and_percent_decoding(server, connect):
    c = connect(server.port)
    c.send(b"GET /p/caf%C3%A9%20x?a=1&b=%20 HTTP/1.1\r\nHost: h\r\nX-Custom-Header: Value\r\nAccept: */*\r\n\r\n")
    info = json.loads(c.read_response()[2])
    assert info["params"] == ["caf\u00e9 x"]
    assert info["path"] == "/p/caf\u00e9 x"
    assert info["raw_path"] == "/p/caf%C3%A9%20x"
    assert info["query"] == "a=1&b=%20"
    assert info["method"] == "GET" and info["version"] == "1.1"
    assert info["client"][0] == "127.0.0.1" and info["client"][1] == c.sock.getsockname()[1]
    assert info["headers"] == [["host", "h"], ["x-custom-header", "Value"], ["accept", "*/*"]]


def test_path_param_kind(server, connect):
    c = connect(server.port)
    c.send(GET("/files/a/b%2Fc.txt") + GET("/files/"))
    assert json.loads(c.read_response()[2])["params"] == ["a/b/c.txt"]
    assert json.loads(c.read_response()[2])["params"] == [""]


def test_big_response_complete(server, connect):
    n = 8 * 1024 * 1024
    c = connect(server.port, timeout=20)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    c.send(GET("/big/%d" % n) + GET("/big/100") + GET("/items/"))
    time.sleep(0.3)  # let the server hit EAGAIN and buffer the rest
    status, _, body, _ = c.read_response()
    assert status == 200 and len(body) == n and body == b"x" * n
    assert c.read_response()[2] == b"x" * 100
    assert c.read_response()[2] == b'{"a":1}'


def test_many_concurrent_connections(server, connect):
    clients = [connect(server.port, timeout=10) for _ in range(300)]
    for round_ in range(3):
        for c in clients:
            c.send(GET("/items/"))
        for c in clients:
            assert c.read_response()[2] == b'{"a":1}'


def test_concurrent_threads_mixed(server):
    failures = []

    # covered by test_many_concurrent_connections; this one stresses deferred answers
    results = []

    def client_thread(k):
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(GET("/slow/%d" % (k % 7)) * 4)
            data = b""
            while data.count(b'{"slow"') < 4:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            results.append(data.count(b'{"slow": %d}' % (k % 7)))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client_thread, args=(k,)) for k in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not failures and results == [4] * 40


def test_respond_after_disconnect_returns_false(server, connect, app):
    c = connect(server.port)
    c.send(GET("/gone/200"))
    time.sleep(0.05)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()  # RST
    deadline = time.time() + 3
    while not app.respond_results and time.time() < deadline:
        time.sleep(0.02)
    assert app.respond_results == [False]
    c2 = connect(server.port)
    c2.send(GET("/items/"))
    assert c2.read_response()[0] == 200


def test_respond_twice_raises(server, connect, app):
    c = connect(server.port)
    c.send(GET("/twice") + GET("/items/"))
    assert c.read_response()[2] == b"1"
    assert c.read_response()[2] == b'{"a":1}'
    assert isinstance(app.double_respond_error, RuntimeError)


def test_idle_keep_alive_timeout(serve, app, connect):
    s = serve(app.handler, ROUTES, idle_timeout=1)
    c = connect(s.port)
    c.send(GET("/items/"))
    assert c.read_response()[0] == 200
    t0 = time.time()
    assert c.is_closed_by_peer(timeout=4)
    assert 0.5 < time.time() - t0 < 3.5


def test_deferred_request_survives_idle_sweep(serve, app, connect):
    s = serve(app.handler, ROUTES, idle_timeout=1)
    c = connect(s.port, timeout=10)
    c.send(GET("/slow/2500"))
    assert c.read_response()[2] == b'{"slow": 2500}'


def test_client_half_close_still_answered(server, connect):
    c = connect(server.port)
    c.send(GET("/slow/50") + GET("/items/"))
    c.sock.shutdown(socket.SHUT_WR)
    raw = c.read_all()
    assert raw.count(b"HTTP/1.1 200 OK") == 2 and raw.endswith(b'{"a":1}')


def test_close_with_pending_deferred(serve, app, connect):
    s = serve(app.handler, ROUTES)
    c = connect(s.port)
    c.send(GET("/gone/300"))
    time.sleep(0.1)
    s.call(s.server.close)
    assert c.is_closed_by_peer()
    deadline = time.time() + 3
    while not app.respond_results and time.time() < deadline:
        time.sleep(0.02)
    assert app.respond_results == [False]


def test_reason_phrases_follow_python(serve, connect):
    import http

    def handler(request, route, params):
        return int(params[0]), [(b"content-length", b"0")], b""

    s = serve(handler, [(("GET",), "/s/{code:int}")])
    c = connect(s.port)
    for code in (200, 418, 422, 425, 429, 431, 451, 599):
        c.send(GET("/s/%d" % code))
        raw = c.read_response()[3]
        try:
            phrase = http.HTTPStatus(code).phrase.encode()
        except ValueError:
            phrase = b""
        assert raw.startswith(b"HTTP/1.1 %d %s\r\n" % (code, phrase))


def test_server_properties(serve, app):
    s = serve(app.handler, ROUTES)
    assert s.server.port > 0 and s.server.fileno() >= 0 and not s.server.closed


def test_garbage_and_abrupt_clients_do_not_hurt(server, connect):
    import random

    rnd = random.Random(1234)
    valid = (GET("/items/") + b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"3\r\nabc\r\n0\r\n\r\n" + GET("/slow/1"))
    for i in range(150):
        c = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        choice = i % 3
        if choice == 0:
            data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        elif choice == 1:
            data = valid[: rnd.randrange(len(valid))]
        else:
            data = bytearray(valid)
            for _ in range(3):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
            data = bytes(data)
        try:
            c.sendall(data)
            if i % 2:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        c.close()
    ok = connect(server.port)
    ok.send(GET("/items/"))
    assert ok.read_response()[2] == b'{"a":1}'
