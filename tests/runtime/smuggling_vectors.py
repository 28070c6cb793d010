"""Request smuggling / framing vectors: raw request bytes -> the answer RFC 9110/9112 calls for.

Shared by tests/runtime/test_smuggling.py (asserts them against astraapi._runtime.Server) and
scripts/smuggling_report.py (runs them against uvicorn too and writes docs/http-hardening.md).

Every vector is sent on a fresh connection. The app behind the server has one route, `/`
(GET, HEAD, POST), which echoes what it saw; any request for `/admin` is a smuggled one. After
the vector the connection is checked for being closed, and the requests the handler saw are
compared with `seen` (method, path, body).
"""

from __future__ import annotations

from dataclasses import dataclass, field

H = b"Host: x\r\n"
ADMIN = b"GET /admin HTTP/1.1\r\n" + H + b"\r\n"


@dataclass(frozen=True)
class Vector:
    id: str
    what: str
    raw: bytes
    status: int | None  # first response's status; None: no response at all
    closed: bool  # the server closes the connection after answering
    seen: tuple = field(default=())  # ((method, path, body), ...) the handler must see, nothing else
    rfc: str = ""


def post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST / HTTP/1.1\r\n" + H + headers + b"\r\n" + body


VECTORS: list[Vector] = [
    # --- Content-Length ---------------------------------------------------------------------
    Vector("cl-two-different", "two different Content-Lengths",
           post(b"Content-Length: 3\r\nContent-Length: 40\r\n", b"abc" + ADMIN), 400, True,
           rfc="9112 6.3 (5): invalid length -> 400, close"),
    Vector("cl-two-equal", "Content-Length repeated with the same value",
           post(b"Content-Length: 3\r\nContent-Length: 3\r\n", b"abc" + ADMIN), 400, True,
           rfc="9112 6.3 (5): MAY reject; we reject every duplicate"),
    Vector("cl-list", "Content-Length: 3, 3 (list form)",
           post(b"Content-Length: 3, 3\r\n", b"abc" + ADMIN), 400, True, rfc="9110 8.6"),
    Vector("cl-sign", "Content-Length: +3", post(b"Content-Length: +3\r\n", b"abc" + ADMIN), 400, True,
           rfc="9110 8.6: 1*DIGIT"),
    Vector("cl-negative", "Content-Length: -1", post(b"Content-Length: -1\r\n", ADMIN), 400, True,
           rfc="9110 8.6"),
    Vector("cl-hex", "Content-Length: 0x3", post(b"Content-Length: 0x3\r\n", b"abc" + ADMIN), 400, True,
           rfc="9110 8.6"),
    Vector("cl-overflow", "Content-Length beyond 64 bits",
           post(b"Content-Length: 99999999999999999999999\r\n", ADMIN), 400, True, rfc="9112 6.3 (5)"),
    Vector("cl-space-inside", "Content-Length: 1 0", post(b"Content-Length: 1 0\r\n", b"0123456789"), 400, True,
           rfc="9110 8.6"),
    Vector("cl-leading-zeros", "Content-Length: 003 is a valid length (legitimate)",
           post(b"Content-Length: 003\r\n", b"abc"), 200, False, seen=(("POST", "/", b"abc"),),
           rfc="9110 8.6: 1*DIGIT"),
    Vector("get-with-body", "a body after a GET that declares a length is that GET's body",
           b"GET / HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(ADMIN) + ADMIN, 200, False,
           seen=(("GET", "/", ADMIN),), rfc="9112 6.3 (6): the length is the body, whatever the method"),
    # --- Transfer-Encoding ------------------------------------------------------------------
    Vector("cl-te", "Content-Length and Transfer-Encoding: chunked",
           post(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.1/6.3 (3): MAY reject; we do, and close"),
    Vector("te-cl", "Transfer-Encoding before Content-Length",
           post(b"Transfer-Encoding: chunked\r\nContent-Length: 30\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.3 (3)"),
    Vector("te-chunked-chunked", "Transfer-Encoding: chunked, chunked",
           post(b"Transfer-Encoding: chunked, chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.1: chunked MUST NOT be applied twice"),
    Vector("te-two-headers", "two Transfer-Encoding: chunked header lines",
           post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.1 (same list as chunked, chunked)"),
    Vector("te-gzip-chunked", "Transfer-Encoding: gzip, chunked (a coding we do not decode)",
           post(b"Transfer-Encoding: gzip, chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n" + ADMIN), 501, True,
           rfc="9112 6.1: unknown transfer coding SHOULD be 501"),
    Vector("te-chunked-gzip", "Transfer-Encoding: chunked, gzip (chunked not final)",
           post(b"Transfer-Encoding: chunked, gzip\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.3 (4): chunked not final in a request -> 400, close"),
    Vector("te-identity", "Transfer-Encoding: identity",
           post(b"Transfer-Encoding: identity\r\n", ADMIN), 400, True, rfc="9112 6.3 (4)"),
    Vector("te-xchunked", "Transfer-Encoding: xchunked", post(b"Transfer-Encoding: xchunked\r\n", ADMIN), 400,
           True, rfc="9112 6.3 (4)"),
    Vector("te-empty-element", "Transfer-Encoding: , chunked",
           post(b"Transfer-Encoding: , chunked\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 6.1 (we accept no empty list elements here)"),
    Vector("te-http10", "Transfer-Encoding in an HTTP/1.0 request",
           b"POST / HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + ADMIN, 400,
           True, rfc="9112 6.1: HTTP/1.0 + TE -> faulty framing, close"),
    Vector("te-case-tab", "Transfer-Encoding:\\tCHUNKED (tab, upper case: legitimate)",
           post(b"Transfer-Encoding:\tCHUNKED\r\n", b"3\r\nabc\r\n0\r\n\r\n"), 200, False,
           seen=(("POST", "/", b"abc"),), rfc="9110 5.6.3 OWS, 9112 7 case-insensitive"),
    Vector("te-space-before-colon", "Transfer-Encoding : chunked",
           post(b"Transfer-Encoding : chunked\r\n", b"0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 5.1: whitespace before colon MUST be rejected with 400"),
    # --- chunked body -----------------------------------------------------------------------
    Vector("chunk-size-overflow", "chunk size with 17 hex digits",
           post(b"Transfer-Encoding: chunked\r\n", b"10000000000000003\r\nabc\r\n0\r\n\r\n" + ADMIN), 400, True,
           rfc="9112 7.1: recipients MUST anticipate overflow"),
    Vector("chunk-size-negative", "chunk size -1",
           post(b"Transfer-Encoding: chunked\r\n", b"-1\r\n" + ADMIN), 400, True, rfc="9112 7.1"),
    Vector("chunk-size-0x", "chunk size 0x3",
           post(b"Transfer-Encoding: chunked\r\n", b"0x3\r\nabc\r\n0\r\n\r\n"), 400, True, rfc="9112 7.1"),
    Vector("chunk-size-space", "space after the chunk size",
           post(b"Transfer-Encoding: chunked\r\n", b"3 \r\nabc\r\n0\r\n\r\n"), 400, True,
           rfc="9112 7.1 (BWS before ';' only with an extension; we reject)"),
    Vector("chunk-size-leading-space", "space before the chunk size",
           post(b"Transfer-Encoding: chunked\r\n", b" 3\r\nabc\r\n0\r\n\r\n"), 400, True, rfc="9112 7.1"),
    Vector("chunk-missing-crlf", "chunk data not followed by CRLF",
           post(b"Transfer-Encoding: chunked\r\n", b"3\r\nabcX\r\n0\r\n\r\n" + ADMIN), 400, True, rfc="9112 7.1"),
    Vector("chunk-longer-than-size", "chunk data longer than its size (smuggles via the excess)",
           post(b"Transfer-Encoding: chunked\r\n", b"3\r\nabc" + ADMIN + b"\r\n0\r\n\r\n"), 400, True,
           rfc="9112 7.1"),
    Vector("chunk-bare-lf", "chunk size line ended by a bare LF",
           post(b"Transfer-Encoding: chunked\r\n", b"3\nabc\r\n0\r\n\r\n"), 400, True, rfc="9112 2.2/7.1"),
    Vector("chunk-ext-huge", "20 KiB chunk extension",
           post(b"Transfer-Encoding: chunked\r\n", b"3;x=" + b"a" * 20000 + b"\r\nabc\r\n0\r\n\r\n"), 400, True,
           rfc="9112 7.1.1: server SHOULD limit chunk extension length"),
    Vector("chunk-ext-ok", "a short chunk extension (legitimate)",
           post(b"Transfer-Encoding: chunked\r\n", b"3;name=\"v\"\r\nabc\r\n0\r\n\r\n"), 200, False,
           seen=(("POST", "/", b"abc"),), rfc="9112 7.1.1"),
    Vector("chunk-trailer", "a trailer field (legitimate; not exposed)",
           post(b"Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"), 200, False,
           seen=(("POST", "/", b"abc"),), rfc="9112 7.1.2"),
    Vector("chunk-trailer-cl", "Content-Length sent as a trailer field",
           post(b"Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\nContent-Length: 50\r\n\r\n" + ADMIN),
           400, True, rfc="9110 6.5.1: framing fields are not allowed in trailers; llhttp rejects"),
    Vector("chunk-then-pipelined", "a complete chunked body then a pipelined request (both legitimate)",
           post(b"Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n")
           + b"GET / HTTP/1.1\r\n" + H + b"\r\n", 200, False,
           seen=(("POST", "/", b"abc"), ("GET", "/", b"")), rfc="9112 9.3.2 pipelining"),
    # --- header syntax ----------------------------------------------------------------------
    Vector("obs-fold", "obs-fold (continuation line)",
           b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400, True,
           rfc="9112 5.2: MAY reject with 400"),
    Vector("obs-fold-te", "Transfer-Encoding hidden in a folded line",
           post(b"X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", b"abc"), 400, True,
           rfc="9112 5.2"),
    Vector("ws-before-first-header", "whitespace between the request line and the first header",
           b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400, True, rfc="9112 2.2: MUST reject or ignore"),
    Vector("header-bare-cr", "bare CR inside a header line",
           b"GET / HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400, True, rfc="9112 2.2: bare CR -> invalid"),
    Vector("header-bare-lf", "header lines ended by bare LF",
           b"GET / HTTP/1.1\nHost: x\n\n", 400, True, rfc="9112 2.2: MAY accept LF; we reject"),
    Vector("header-nul", "NUL in a header value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400, True,
           rfc="9110 5.5: NUL MUST be rejected or replaced"),
    Vector("header-name-space", "space inside a header name",
           b"GET / HTTP/1.1\r\n" + H + b"X A: b\r\n\r\n", 400, True, rfc="9110 5.1 token"),
    Vector("header-no-colon", "header line without a colon",
           b"GET / HTTP/1.1\r\n" + H + b"X-A b\r\n\r\n", 400, True, rfc="9112 5"),
    Vector("header-empty-name", "header line with an empty name",
           b"GET / HTTP/1.1\r\n" + H + b": b\r\n\r\n", 400, True, rfc="9112 5"),
    Vector("host-missing", "HTTP/1.1 request without Host", b"GET / HTTP/1.1\r\n\r\n", 400, True,
           rfc="9112 3.2: MUST respond 400"),
    Vector("host-twice", "two Host header lines", b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, True,
           rfc="9112 3.2: MUST respond 400"),
    Vector("host-missing-http10", "HTTP/1.0 request without Host (legitimate)", b"GET / HTTP/1.0\r\n\r\n", 200,
           True, seen=(("GET", "/", b""),), rfc="9112 3.2 (HTTP/1.1 only); 1.0 closes"),
    # --- request line -----------------------------------------------------------------------
    Vector("http09", "HTTP/0.9 simple request", b"GET /\r\n\r\n", 400, True, rfc="9112 2.3 (no 0.9)"),
    Vector("version-missing-minor", "HTTP/1", b"GET / HTTP/1\r\n" + H + b"\r\n", 400, True, rfc="9112 2.3"),
    Vector("version-lowercase", "http/1.1", b"GET / http/1.1\r\n" + H + b"\r\n", 400, True,
           rfc="9112 2.3: case-sensitive"),
    Vector("version-2", "HTTP/2.0 in an HTTP/1 request line", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505, True,
           rfc="9110 15.6.6: 505 for an unsupported major version"),
    Vector("version-1.2", "HTTP/1.2", b"GET / HTTP/1.2\r\n" + H + b"\r\n", 400, True,
           rfc="9112 2.3 (llhttp knows 1.0/1.1 only; 400 is allowed)"),
    Vector("rl-double-space", "two spaces between method and target (tolerated)",
           b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 200, False, seen=(("GET", "/", b""),),
           rfc="9112 3: MAY parse on whitespace-delimited word boundaries"),
    Vector("rl-tab", "tab as the request-line separator", b"GET\t/ HTTP/1.1\r\n" + H + b"\r\n", 400, True,
           rfc="9112 3"),
    Vector("rl-lowercase-method", "method in lower case", b"get / HTTP/1.1\r\n" + H + b"\r\n", 400, True,
           rfc="9110 9.1: case-sensitive; unknown to the parser"),
    Vector("rl-space-in-target", "space inside the request target",
           b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400, True, rfc="9112 3.2"),
    Vector("rl-nul-in-target", "NUL inside the request target",
           b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400, True, rfc="9112 3.2"),
    Vector("rl-bare-lf", "request line ended by a bare LF", b"GET / HTTP/1.1\n" + H + b"\r\n", 400, True,
           rfc="9112 2.2"),
    Vector("rl-leading-crlf", "an empty line before the request line (legitimate)",
           b"\r\nGET / HTTP/1.1\r\n" + H + b"\r\n", 200, False, seen=(("GET", "/", b""),),
           rfc="9112 2.2: SHOULD ignore at least one empty line"),
    Vector("rl-asterisk", "asterisk-form with GET", b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400, True,
           rfc="9112 3.2.4: asterisk-form is for OPTIONS only"),
    # --- connection management --------------------------------------------------------------
    Vector("connect-then-request", "bytes after a CONNECT are never parsed as a request",
           b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n" + ADMIN, 400, True,
           rfc="9110 9.3.6: no tunnel here; authority-form is not a path"),
    Vector("upgrade-then-request", "bytes after an Upgrade request are never parsed as a request",
           b"GET / HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n" + ADMIN, 200, True,
           seen=(("GET", "/", b""),), rfc="9110 7.8: we do not switch; answer, then close"),
    Vector("close-then-request", "a request after Connection: close is ignored",
           b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n" + ADMIN, 200, True,
           seen=(("GET", "/", b""),), rfc="9112 9.6: no further requests after close"),
    Vector("http10-then-request", "a request after an HTTP/1.0 request without keep-alive is ignored",
           b"GET / HTTP/1.0\r\n\r\n" + ADMIN, 200, True, seen=(("GET", "/", b""),), rfc="9112 9.3"),
    Vector("error-then-request", "nothing after a 400 is parsed",
           b"GET / HTTP/1.1\r\n" + H + b"Content-Length: x\r\n\r\n" + ADMIN, 400, True, rfc="9112 6.3"),
]


def exchange(port: int, raw: bytes, quiet: float = 0.5, limit: float = 5.0) -> tuple[int | None, bool, bytes]:
    """Send `raw` on a fresh connection; read until the server closes it or stays quiet for
    `quiet` seconds. -> (first status or None, closed by the server, bytes received)."""
    import socket
    import time

    sock = socket.create_connection(("127.0.0.1", port), timeout=limit)
    received = bytearray()
    closed = False
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + limit
        sock.settimeout(quiet)
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not data:
                closed = True
                break
            received += data
    finally:
        sock.close()
    status = None
    if received.startswith(b"HTTP/1.1 "):
        status = int(received[9:12])
    return status, closed, bytes(received)
