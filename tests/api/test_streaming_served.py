"""Streamed answers and file downloads on real servers in both modes: the bytes on the wire
(chunked framing as uvicorn writes it), backpressure, client disconnects, HEAD."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time

import httpx
import pytest

from support.paths import APPS_DIR, MODES
from support.raw_http import exchange, without_date
from support.servers import wait_until

BIG = 3 * 1024 * 1024 + 123


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("stream_files")
    (directory / "small.txt").write_bytes(b"small file\n")
    (directory / "big.bin").write_bytes(os.urandom(BIG))
    (directory / "résumé.pdf").write_bytes(b"%PDF-fake")
    return directory


@pytest.fixture(scope="module", params=MODES)
def server(request, start_server, files):
    return start_server("streaming_app:app", request.param, cwd=APPS_DIR, env={"STREAM_FILES": str(files)})


def get(server, path: str, method: str = "GET") -> bytes:
    return without_date(exchange("127.0.0.1", server.port,
                                 f"{method} {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n".encode()))


def state(server) -> dict:
    return httpx.get(server.base_url + "/state").json()


def test_chunked_framing_on_the_wire(server):
    body = "wörld".encode()
    assert get(server, "/chunks") == (
        b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n"
        b"12c\r\n" + b"x" * 300 + b"\r\n0\r\n\r\n")


def test_sync_iterator_and_keep_alive(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /sync-chunks HTTP/1.1\r\nhost: t\r\n\r\nGET /length HTTP/1.1\r\nhost: t\r\n\r\n"
                     b"GET /state HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    data = without_date(data)
    first = (b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ntransfer-encoding: chunked\r\n\r\n"
             b"1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n")
    second = b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ncontent-length: 6\r\n\r\nabcdef"
    assert data.startswith(first + second + b"HTTP/1.1 200 OK\r\n")


def test_httpx_reads_streams(server):
    response = httpx.get(server.base_url + "/chunks")
    assert response.status_code == 200
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content == b"hello" + "wörld".encode() + b"x" * 300


def test_content_length_overrun_closes(server):
    data = get(server, "/too-long")
    assert data.startswith(b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ncontent-length: 4\r\n")
    assert data.endswith(b"\r\n\r\nabc")  # the second piece does not fit: the connection is closed


def test_exception_mid_stream_closes_without_last_chunk(server):
    data = get(server, "/fails")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"5\r\nfirst\r\n" in data and not data.endswith(b"0\r\n\r\n")
    assert httpx.get(server.base_url + "/state").status_code == 200  # the server goes on


@pytest.mark.parametrize("route", ["endless", "endless-sync"])
def test_client_disconnect_stops_the_generator(server, route):
    name = f"{route}-{server.mode}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET /{route}/{name}?delay=0.01 HTTP/1.1\r\nhost: t\r\n\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        assert wait_until(lambda: state(server)[name]["produced"] >= 3)
    assert wait_until(lambda: state(server)[name]["closed"]), state(server)
    produced = state(server)[name]["produced"]
    time.sleep(0.3)
    assert state(server)[name]["produced"] == produced


def test_backpressure_pauses_a_fast_generator(server):
    name = f"bp-{server.mode}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(f"GET /endless/{name}?size=65536 HTTP/1.1\r\nhost: t\r\n\r\n".encode())
        assert wait_until(lambda: state(server)[name]["produced"] >= 2)
        time.sleep(0.5)  # the client reads nothing: the producer must be parked, not buffering
        paused_at = state(server)[name]["produced"]
        # 64 KiB pieces: socket buffers (a few MiB at most) + the 256 KiB high-water mark
        assert paused_at < 200, paused_at
        time.sleep(0.3)
        assert state(server)[name]["produced"] == paused_at
        # Reading resumes the producer.
        received = 0
        while received < (paused_at + 20) * 65536:
            chunk = sock.recv(1 << 20)
            assert chunk
            received += len(chunk)
        assert state(server)[name]["produced"] > paused_at
    assert wait_until(lambda: state(server)[name]["closed"])


def test_file_download(server, files):
    response = httpx.get(server.base_url + "/file/big.bin")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).digest() == hashlib.sha256((files / "big.bin").read_bytes()).digest()
    stat = (files / "big.bin").stat()
    assert response.headers["content-length"] == str(BIG)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="big.bin"'
    assert response.headers["etag"] == '"' + hashlib.md5(
        f"{stat.st_mtime}-{stat.st_size}".encode()).hexdigest() + '"'
    assert "transfer-encoding" not in response.headers


def test_file_bytes_on_the_wire_and_head(server, files):
    data = get(server, "/file/small.txt")
    head, _, body = data.partition(b"\r\n\r\n")
    assert body == b"small file\n"
    lines = head.split(b"\r\n")
    assert lines[:4] == [b"HTTP/1.1 200 OK", b"server: astraapi", b"content-type: text/plain; charset=utf-8",
                         b"accept-ranges: bytes"]
    assert lines[4] == b'content-disposition: attachment; filename="small.txt"'
    assert lines[5] == b"content-length: 11"
    assert re.fullmatch(rb"last-modified: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", lines[6])
    assert lines[7].startswith(b'etag: "')
    assert get(server, "/file/small.txt", "HEAD") == head + b"\r\n\r\n"


def test_file_unicode_name(server):
    response = httpx.get(server.base_url + "/file/r%C3%A9sum%C3%A9.pdf")
    assert response.headers["content-disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == b"%PDF-fake"


def test_missing_file_is_500(server):
    response = httpx.get(server.base_url + "/file-missing")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


def test_json_lines_generator_endpoint(server):
    data = get(server, "/points?n=2")
    line0, line1 = b'{"x":0,"label":"p"}\n', b'{"x":1,"label":"p"}\n'
    assert data == (b"HTTP/1.1 200 OK\r\nserver: astraapi\r\ncontent-type: application/jsonl\r\n"
                    b"connection: close\r\ntransfer-encoding: chunked\r\n\r\n"
                    + f"{len(line0):x}\r\n".encode() + line0 + b"\r\n"
                    + f"{len(line1):x}\r\n".encode() + line1 + b"\r\n0\r\n\r\n")
