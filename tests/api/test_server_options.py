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
