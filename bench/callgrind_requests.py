"""Instructions per request, by library, for the bench app's routes (valgrind's callgrind).

    .venv/bin/python -m bench.callgrind_requests [--mode compiled|dynamic] [--requests N] [--app module:app --routes KEYS]
    .venv/bin/python -m bench.callgrind_requests --routes gzip   # GET /report, the app with GZipMiddleware

Starts the bench app (bench/apps/astra_app.py) under `valgrind --tool=callgrind`, warms each route
up, zeroes the counters, sends N keep-alive requests from a raw-socket client, dumps, and prints the
user-space instructions per request split by shared object (self cost). Instruction counts do not
depend on what else the machine is doing, so this works on a loaded machine where requests/s and
CPU time do not; kernel time (epoll, recv, send) is not counted.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = "bench.apps.astra_app:app"
ITEM_BODY = b'{"name":"a","price":1.5,"tags":["x"]}'
AUTH = b"authorization: Bearer bench-token-4f1c\r\n"  # bench.apps.models.TOKEN
ROUTES = {
    "hello": ("GET", "/", b""),
    "item": ("GET", "/items/5?q=x", b""),
    "post": ("POST", "/items", ITEM_BODY),
    "catalog": ("GET", "/catalog", b""),
    # bench/apps/params_app.py (--app bench.apps.params_app:app): header, cookie, list and enum parameters
    "params": ("GET", "/search/book?tags=a&tags=b&limit=5", b"", b"x-token: abc\r\ncookie: session=s1\r\n"),
    "gzip": ("GET", "/report", b""),
    # the real-app set (issue 14): bearer auth through a yield dependency, a Depends() class, a 201 create
    "me": ("GET", "/users/me", b"", AUTH),
    "orders": ("GET", "/orders?limit=20", b"", AUTH),
    "order-create": ("POST", "/orders", b'{"product_id":1001,"quantity":2,"note":"leave at the door"}', AUTH),
}
# gzip (GET /report) is the gzip route: the app is then served with GZipMiddleware (BENCH_GZIP=1, as the bench's
# second process) and the request accepts gzip.
GZIP_ROUTES = {"gzip"}


def request_bytes(method: str, path: str, body: bytes, headers: bytes = b"", gzip: bool = False) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: bench\r\n".encode() + headers
    if gzip:
        head += b"accept-encoding: gzip\r\n"
    if body:
        head += b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body)
    return head + b"\r\n" + body


def send_requests(port: int, raw: bytes, count: int) -> None:
    """`count` requests one after the other on one keep-alive connection, each read in full."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        for _ in range(count):
            conn.sendall(raw)
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                buffer += conn.recv(65536)
            head, rest = buffer.split(b"\r\n\r\n", 1)
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 201")):
                raise SystemExit(f"unexpected answer: {head.splitlines()[0]!r}")
            length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
            while len(rest) < length:
                rest += conn.recv(65536)


def self_cost_by_object(path: Path) -> collections.Counter[str]:
    """Self cost (Ir) per shared object from a callgrind output file (calls' inclusive lines skipped)."""
    names: dict[str, str] = {}
    by_object: collections.Counter[str] = collections.Counter()
    current = "?"
    after_call = False
    for line in path.read_text(errors="replace").splitlines():
        if not line:
            continue
        key, _, value = line.partition("=")
        if key in ("ob", "cob"):  # both define object names ("(3) /path"); only ob= switches
            match = re.match(r"\((\d+)\)(?: (.*))?", value)
            name = value
            if match:
                if match.group(2) is not None:
                    names[match.group(1)] = match.group(2)
                name = names.get(match.group(1), "?")
            if key == "ob":
                current = name
            continue
        if key == "calls":
            after_call = True
            continue
        if line[0] in "0123456789+-*":
            parts = line.split()
            if len(parts) >= 2:
                if after_call:
                    after_call = False
                    continue
                by_object[os.path.basename(current)] += int(parts[1])
    return by_object


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("compiled", "dynamic"), default="compiled")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--routes", default=",".join(k for k in ROUTES if k not in GZIP_ROUTES),
                        help=f"comma-separated, of {', '.join(ROUTES)} (gzip on its own: the app with GZipMiddleware)")
    parser.add_argument("--port", type=int, default=8851)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="copy the callgrind output of each route there (callgrind_annotate reads them)")
    parser.add_argument("--app", default=APP, help=f"module:app to serve (default {APP})")
    args = parser.parse_args()
    routes = args.routes.split(",")
    gzip = bool(GZIP_ROUTES.intersection(routes))
    if gzip and not GZIP_ROUTES.issuperset(routes):
        print(f"--routes: {', '.join(sorted(GZIP_ROUTES))} need GZipMiddleware on the app: measure them on their own",
              file=sys.stderr)
        return 2
    env = {**os.environ, "BENCH_GZIP": "1"} if gzip else None
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    try:  # another server on the port would answer in place of ours, and be measured as ours
        socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
        print(f"port {args.port} is already in use: choose another with --port", file=sys.stderr)
        return 2
    except OSError:
        pass
    work = Path(tempfile.mkdtemp(prefix="astra-callgrind-"))
    python = sys.executable
    command = [python, "-m", "astraapi"]
    if args.mode == "compiled":
        build = subprocess.run([*command, "build", args.app, "--build-dir", str(work / "build")], cwd=REPO,
                               capture_output=True, text=True, env=env)
        if build.returncode != 0:
            print(build.stdout, build.stderr, file=sys.stderr)
            return 1
        command += ["run", args.app, "--build-dir", str(work / "build")]
    else:
        command += ["dev", args.app, "--no-reload"]
    command += ["--host", "127.0.0.1", "--port", str(args.port)]
    out = work / "callgrind.out"
    server = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 600  # valgrind on a loaded machine starts slowly
        while True:
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print("the server did not start under valgrind", file=sys.stderr)
                    return 1
                time.sleep(1)
        print(f"AstraAPI {args.mode}, {args.requests} requests per route, user-space instructions per request "
              f"(self cost by shared object){', app with GZipMiddleware' if gzip else ''}")
        for number, key in enumerate(routes, start=1):
            raw = request_bytes(*ROUTES[key], gzip=key in GZIP_ROUTES)
            send_requests(args.port, raw, 300)  # warm-up (first-request analysis, caches, allocator)
            subprocess.run(["callgrind_control", "-z", str(server.pid)], capture_output=True, check=True)
            send_requests(args.port, raw, args.requests)
            subprocess.run(["callgrind_control", "-d", str(server.pid)], capture_output=True, check=True)
            costs = self_cost_by_object(Path(f"{out}.{number}"))
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(f"{out}.{number}", args.keep / f"callgrind.{args.mode}.{key}.out")
            total = sum(costs.values())
            top = ", ".join(f"{name} {count / args.requests:,.0f}" for name, count in costs.most_common(4))
            print(f"  {key:8} {ROUTES[key][0]} {ROUTES[key][1]}: {total / args.requests:,.0f} ({top})")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
