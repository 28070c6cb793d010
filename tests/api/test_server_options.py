"""Server options reach the native server from the CLI and from app.run(...) kwargs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import pytest

from astraapi.server.config import ServerConfig
from support.paths import APPS_DIR
from support.servers import _free_port, wait_until


def test_config_defaults_and_validation(monkeypatch):
    c = ServerConfig()
    assert (c.keep_alive_timeout, c.graceful_timeout, c.access_log, c.proxy_headers) == (5.0, 30.0, False, True)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert c.server_kwargs()["forwarded_allow_ips"] == "127.0.0.1"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    assert c.server_kwargs()["forwarded_allow_ips"] == "10.0.0.0/8"
    assert ServerConfig(forwarded_allow_ips="*").server_kwargs()["forwarded_allow_ips"] == "*"
    with pytest.raises(TypeError, match="unknown server option"):
        ServerConfig.from_kwargs({"max_body": 1})
    with pytest.raises(ValueError):
        ServerConfig(header_timeout=-1)
    with pytest.raises(ValueError):
        ServerConfig(max_header_count=0)


def test_cli_options_parse():
    from astraapi.cli import _config, _parser

    args = _parser().parse_args(["run", "m:app", "--max-body-size", "10", "--header-timeout", "2.5",
                                 "--timeout-keep-alive", "7", "--limit-concurrency", "3", "--access-log",
                                 "--no-proxy-headers", "--forwarded-allow-ips", "*", "--graceful-timeout", "4"])
    c = _config(args)
    assert (c.max_body_size, c.header_timeout, c.keep_alive_timeout, c.max_connections) == (10, 2.5, 7.0, 3)
    assert (c.access_log, c.proxy_headers, c.forwarded_allow_ips, c.graceful_timeout) == (True, False, "*", 4.0)


def test_dev_options_end_to_end():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "astraapi", "dev", "hello:app", "--no-reload", "--port", str(port),
         "--max-body-size", "10", "--access-log"],
        cwd=APPS_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: any("serving on" in line for line in lines), timeout=60), lines
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 413 ")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200 ")
            local_port = sock.getsockname()[1]
        expected = f'INFO:     127.0.0.1:{local_port} - "GET / HTTP/1.1" 200 OK\n'
        assert wait_until(lambda: expected in lines, timeout=5), lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
            reader.join(5)


def test_app_run_rejects_unknown_option():
    from astraapi import FastAPI

    with pytest.raises(TypeError, match="unknown server option"):
        FastAPI().run(port=0, no_such_option=1)


def test_gzip_and_min_rate_options():
    c = ServerConfig()
    assert (c.gzip, c.gzip_min_size, c.gzip_level, c.body_min_rate, c.body_min_rate_grace) == (False, 500, 6, 240, 5.0)
    kwargs = ServerConfig(gzip=True, gzip_min_size=0, gzip_level=9, body_min_rate=0).server_kwargs()
    assert (kwargs["gzip"], kwargs["gzip_min_size"], kwargs["gzip_level"], kwargs["body_min_rate"]) == (True, 0, 9, 0)
    for bad in ({"gzip_level": 10}, {"gzip_level": -1}, {"gzip_min_size": -1}, {"body_min_rate": 1.5},
                {"body_min_rate_grace": -1}, {"gzip": "yes"}):
        with pytest.raises(ValueError):
            ServerConfig(**bad)
    from astraapi.cli import _config, _parser

    args = _parser().parse_args(["dev", "m:app", "--gzip", "--gzip-min-size", "100", "--gzip-level", "3",
                                 "--body-min-rate", "1000", "--body-min-rate-grace", "2.5"])
    c = _config(args)
    assert (c.gzip, c.gzip_min_size, c.gzip_level, c.body_min_rate, c.body_min_rate_grace) == (True, 100, 3, 1000, 2.5)


def test_app_run_gzip(tmp_path):
    """app.run(gzip=True, gzip_min_size=...) serves compressed answers natively (no middleware)."""
    import gzip as gz

    port = _free_port()
    script = tmp_path / "serve_gzip.py"
    script.write_text(
        "from astraapi import FastAPI\n"
        "app = FastAPI()\n"
        "@app.get('/')\n"
        "def root():\n"
        "    return {'text': 'abc' * 20}\n"
        f"app.run(port={port}, gzip=True, gzip_min_size=50, gzip_level=1)\n")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: any("serving on" in line for line in lines), timeout=60), lines
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"\r\ncontent-encoding: gzip\r\n" in head and b"\r\nvary: Accept-Encoding\r\n" in head
        assert gz.decompress(body) == b'{"text":"' + b"abc" * 20 + b'"}'
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
            reader.join(5)
