"""Run the smuggling table (tests/runtime/smuggling_vectors.py) against AstraAPI's server and,
as a cross-check, against uvicorn (httptools and h11), and print it as a Markdown table.

    .venv/bin/python scripts/smuggling_report.py > /tmp/table.md

uvicorn and httptools are test references only (pip install uvicorn httptools).
Every server runs in this process on 127.0.0.1 and is stopped before exiting.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "runtime"))

from smuggling_vectors import VECTORS, exchange  # noqa: E402


def astraapi_server(seen: list):
    from conftest import RunningServer

    def handler(request, route, params):
        seen.append((request.method, request.path, request.body))
        return 200, None, b"{}"

    server = RunningServer(handler, [(("GET", "HEAD", "POST"), "/"), (("GET",), "/admin")])
    return server.port, server.stop


def uvicorn_server(seen: list, http: str):
    import uvicorn

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append((scope["method"], scope["path"], body))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, http=http, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop():
        server.should_exit = True
        thread.join(10)

    return port, stop


def outcome(status, closed, seen, vector) -> str:
    text = "no answer" if status is None else str(status)
    text += ", closed" if closed else ", open"
    if any(path == "/admin" for _, path, _ in seen):
        text += ", **SMUGGLED**"
    elif tuple(seen) != vector.seen:
        text += f", app saw {len(seen)}"
    return text


def run(make) -> list[str]:
    seen: list = []
    port, stop = make(seen)
    results = []
    try:
        for vector in VECTORS:
            seen.clear()
            status, closed, _ = exchange(port, vector.raw, quiet=0.4)
            time.sleep(0.02)
            results.append((status, closed, list(seen)))
    finally:
        stop()
    return results


def main() -> int:
    columns = [("AstraAPI", lambda seen: astraapi_server(seen))]
    for http in ("httptools", "h11"):
        try:
            __import__(http)
            __import__("uvicorn")
        except ImportError:
            continue
        columns.append((f"uvicorn {http}", lambda seen, http=http: uvicorn_server(seen, http)))
    results = {name: run(make) for name, make in columns}
    header = ["#", "vector", "expected (RFC)"] + [name for name, _ in columns]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    failures = 0
    for i, vector in enumerate(VECTORS, 1):
        expected = ("no answer" if vector.status is None else str(vector.status)) + (
            ", closed" if vector.closed else ", open")
        if vector.seen:
            expected += f", app sees {len(vector.seen)}"
        cells = [str(i), f"`{vector.id}`: {vector.what}", f"{expected} ({vector.rfc})"]
        for name, _ in columns:
            status, closed, seen = results[name][i - 1]
            cell = outcome(status, closed, seen, vector)
            if name == "AstraAPI":
                ok = (status, closed, tuple(seen)) == (vector.status, vector.closed, vector.seen)
                failures += not ok
                cell = ("pass: " if ok else "FAIL: ") + cell
            cells.append(cell)
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    print(f"\n{len(VECTORS)} vectors, {failures} AstraAPI failures", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
