"""pytest plugin of scripts/try_template.sh: seeds `random` per test (the same generated e-mails
and passwords in both runs) and records every request and response of the test client
(httpx.Client.send) to $RECORD_TO as JSON lines, normalised (UUIDs, JWTs, times)."""
import json
import os
import random
import re

import httpx

_out = open(os.environ["RECORD_TO"], "w")
_current = ["?"]
_NORM = [
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "<jwt>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
]


def _norm(text):
    for pattern, repl in _NORM:
        text = pattern.sub(repl, text)
    return text


def _recording(original):
    def send(self, request, **kw):
        response = original(self, request, **kw)
        _record(request, response)
        return response
    return send


def _record(request, response):
    headers = [(k, _norm(v)) for k, v in response.headers.multi_items() if k not in ("date", "server")]
    _out.write(json.dumps({
        "test": _current[0], "method": request.method, "url": _norm(str(request.url)),
        "request": _norm(request.content.decode("latin-1")), "status": response.status_code,
        "headers": headers, "body": _norm(response.content.decode("latin-1")),
    }) + "\n")
    _out.flush()


httpx.Client.send = _recording(httpx.Client.send)
try:  # Starlette >= 1.5's TestClient is built on httpx2 when it is installed
    import httpx2
except ImportError:
    pass
else:
    httpx2.Client.send = _recording(httpx2.Client.send)


def pytest_runtest_setup(item):
    _current[0] = item.nodeid
    random.seed(item.nodeid)
