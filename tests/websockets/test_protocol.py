"""RFC 6455 on the wire, against the native server in both modes: handshake bytes, masking,
fragmentation, ping/pong, the close handshake, UTF-8 and size checks, control-frame rules, and
the upgrade requests that are refused."""

from __future__ import annotations

import re
import socket

import pytest

from support.raw_http import exchange, without_date
from support.ws_raw import RFC_ACCEPT, RawWS, close_payload, frame, handshake_bytes

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def test_handshake_bytes(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        head = re.sub(rb"date: [^\r]*\r\n", b"", ws.head)
        assert head == (b"HTTP/1.1 101 Switching Protocols\r\nserver: astraapi\r\nupgrade: websocket\r\n"
                        b"connection: Upgrade\r\nsec-websocket-accept: " + RFC_ACCEPT.encode() + b"\r\n\r\n")
        ws.send(frame(CLOSE, close_payload(1000)))
        assert ws.read_close() == (1000, b"")
        assert ws.at_eof()


def test_echo_text_and_binary(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(TEXT, "héllo".encode()))
        assert ws.read_frame() == (True, TEXT, "héllo".encode())
        big = bytes(range(256)) * 300  # 76800 bytes: a 64-bit length on the way back
        ws.send(frame(BINARY, big))
        assert ws.read_frame() == (True, BINARY, big)
        ws.send(frame(BINARY, b"x" * 200))  # a 16-bit length
        assert ws.read_frame() == (True, BINARY, b"x" * 200)


def test_frames_sent_with_the_handshake_wait_for_accept(ws_server):
    with RawWS(ws_server.port, "/echo", early=frame(TEXT, b"early")) as ws:
        assert ws.status == 101
        assert ws.read_frame() == (True, TEXT, b"early")


def test_fragments_with_a_ping_between(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(TEXT, b"one ", fin=False))
        ws.send(frame(PING, b"are you there"))
        ws.send(frame(0x0, "twó ".encode()[:4], fin=False))  # a character split across fragments
        ws.send(frame(0x0, "twó ".encode()[4:] + b"three"))
        assert ws.read_frame() == (True, PONG, b"are you there")
        assert ws.read_frame() == (True, TEXT, "one twó three".encode())


def test_ping_pong_and_pong_ignored(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(PONG, b"unsolicited"))
        ws.send(frame(PING, b""))
        assert ws.read_frame() == (True, PONG, b"")
        ws.send(frame(PING, b"x" * 125))
        assert ws.read_frame() == (True, PONG, b"x" * 125)


def test_client_close_is_echoed_then_closed(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(CLOSE, close_payload(4321, b"done")))
        assert ws.read_close() == (4321, b"")
        assert ws.at_eof()
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(CLOSE))  # no status code: an empty close comes back
        assert ws.read_close() == (None, b"")
        assert ws.at_eof()


@pytest.mark.parametrize("bad, code", [
    (frame(TEXT, b"unmasked", mask=False), 1002),
    (frame(TEXT, b"\xff\xfe"), 1007),
    (frame(TEXT, b"\xed\xa0\x80"), 1007),  # a UTF-16 surrogate
    (frame(TEXT, b"\xc0\xaf"), 1007),  # overlong
    (frame(PING, b"x" * 126), 1002),  # control frames carry at most 125 bytes
    (frame(PING, b"x", fin=False), 1002),  # and are never fragmented
    (frame(0x0, b"orphan"), 1002),  # a continuation with nothing to continue
    (frame(0x3, b"reserved"), 1002),
    (frame(TEXT, b"rsv", rsv=4), 1002),  # RSV1 without an extension
    (frame(CLOSE, b"\x03"), 1002),  # a 1-byte close payload
    (frame(CLOSE, close_payload(1005)), 1002),  # a code that must not be sent
    (frame(CLOSE, close_payload(1000, b"\xff")), 1007),
    (frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"), 1002),  # a new message inside a fragmented one
    (frame(BINARY, b"", length=16 * 1024 * 1024 + 1), 1009),  # over ws_max_size: refused from the header
], ids=["unmasked", "bad-utf8", "surrogate", "overlong", "long-ping", "fragmented-ping", "orphan-continuation",
        "reserved-opcode", "rsv1", "short-close", "close-1005", "close-bad-reason", "interleaved", "too-big"])
def test_protocol_errors_close_with_their_code(ws_server, bad, code):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(bad)
        assert ws.read_close() == (code, b"")
        assert ws.at_eof()


def test_error_is_reported_to_the_endpoint(ws_server):
    import httpx

    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(frame(TEXT, b"\xff"))
        assert ws.read_close() == (1007, b"")
    with RawWS(ws_server.port, "/echo") as ws:
        ws.sock.shutdown(socket.SHUT_RDWR)  # gone without a close frame
    with RawWS(ws_server.port, "/echo") as ws:  # a fresh one, so the previous endpoints have finished
        ws.send(frame(CLOSE, close_payload(1000)))
        ws.read_close()
    events = httpx.get(ws_server.base_url + "/events").json()
    disconnects = [e[1] for e in events if e[0] == "echo-disconnect"]
    assert 1007 in disconnects and 1006 in disconnects


def _answer(server, request: bytes) -> bytes:
    return without_date(exchange("127.0.0.1", server.port, request))


def test_refused_upgrades(ws_server):
    # Unknown WebSocket path: 403 (Starlette closes before accepting; uvicorn answers 403).
    assert _answer(ws_server, handshake_bytes("/nowhere")) == (
        b"HTTP/1.1 403 Forbidden\r\nserver: astraapi\r\ncontent-length: 0\r\n"
        b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n")
    # An HTTP-only path is not a WebSocket route.
    assert _answer(ws_server, handshake_bytes("/plain")).startswith(b"HTTP/1.1 403 Forbidden\r\n")
    # Missing or malformed key, wrong version, wrong method: refused before the app.
    assert _answer(ws_server, handshake_bytes("/echo", key="short")).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    refused = _answer(ws_server, handshake_bytes("/echo", version="8"))
    assert refused.startswith(b"HTTP/1.1 426 Upgrade Required\r\n") and b"sec-websocket-version: 13\r\n" in refused
    posted = _answer(ws_server, handshake_bytes("/echo", method="POST", extra="content-length: 0\r\n"))
    assert posted.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_http_requests_do_not_see_websocket_routes(ws_server):
    # A WebSocket-only path answers 404 to HTTP (not 405), and no trailing-slash redirect leads to it.
    assert _answer(ws_server, b"GET /echo HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").startswith(
        b"HTTP/1.1 404 Not Found\r\n")
    assert _answer(ws_server, b"GET /echo/ HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").startswith(
        b"HTTP/1.1 404 Not Found\r\n")
    # Same path for both: each kind of request finds its own route.
    assert _answer(ws_server, b"GET /both HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").endswith(
        b'{"via":"http"}')
    with RawWS(ws_server.port, "/both") as ws:
        assert ws.read_frame() == (True, TEXT, b"via websocket")


def test_non_websocket_upgrade_is_an_ordinary_request(ws_server):
    answer = _answer(ws_server, b"GET /plain HTTP/1.1\r\nhost: t\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n"
                                b"GET /plain HTTP/1.1\r\nhost: t\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 1 and answer.endswith(b'{"plain":true}')


def test_server_close_with_reason(ws_server):
    with RawWS(ws_server.port, "/close-reason") as ws:
        assert ws.read_close() == (4000, b"bye")
        ws.send(frame(CLOSE, close_payload(4000)))
        assert ws.at_eof()


def test_many_messages_in_one_write_keep_their_order(ws_server):
    with RawWS(ws_server.port, "/echo") as ws:
        ws.send(b"".join(frame(TEXT, str(i).encode()) for i in range(2000)))
        assert [ws.read_frame()[2] for _ in range(2000)] == [str(i).encode() for i in range(2000)]


def test_large_messages_both_ways(ws_server):
    """5 MiB each way, twice: above the inbox pause (1 MiB) and the send high-water mark (256 KiB)."""
    import os

    big = os.urandom(5 * 1024 * 1024)
    with RawWS(ws_server.port, "/echo", timeout=60) as ws:
        ws.send(frame(BINARY, big) + frame(BINARY, big[::-1]))
        assert ws.read_frame() == (True, BINARY, big)
        assert ws.read_frame() == (True, BINARY, big[::-1])
