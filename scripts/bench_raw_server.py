"""Raw native server (astraapi._runtime.Server, trivial handler): the server's CPU time per
request under `wrk -t1 -c50 -d4`, 3 runs per case, with gzip off and on (docs/http-hardening.md,
"gzip"). Usage: scripts/bench_raw_server.py [OTHER_PYTHON]  -- OTHER_PYTHON: a venv of another
checkout (e.g. main's .venv/bin/python) measured first as the baseline. Needs wrk."""
import os
import re
import subprocess
import sys
from pathlib import Path

TESTS_RUNTIME = str(Path(__file__).resolve().parent.parent / "tests" / "runtime")
HERE = sys.executable

SERVER = r'''
import asyncio, sys
from astraapi import _runtime
kind = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from conftest import make_trie
trie = make_trie([(("GET",), "/")])
body = b'{"hello":"world"}' if kind != "big" else (b'{"rows":[' + b",".join(b'{"id":%d,"name":"row %d"}' % (i, i) for i in range(100)) + b']}')
def handler(req, route, params):
    return 200, None, body
kw = {"gzip": True} if kind in ("gzip", "big") else {}
loop = asyncio.new_event_loop()
srv = _runtime.Server(handler, trie, "127.0.0.1", 0, **kw)
print(srv.port, flush=True)
loop.add_reader(srv.fileno(), srv.poll)
loop.run_forever()
'''

def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def run(python, kind, accept):
    p = subprocess.Popen([python, "-c", SERVER, kind, TESTS_RUNTIME], stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline())
    hdr = ["-H", f"Accept-Encoding: {accept}"] if accept else []
    subprocess.run(["wrk", "-t1", "-c50", "-d2", *hdr, f"http://127.0.0.1:{port}/"], capture_output=True)
    out = []
    for _ in range(3):
        c0 = cpu(p.pid)
        r = subprocess.run(["wrk", "-t1", "-c50", "-d4", *hdr, f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
        c1 = cpu(p.pid)
        n = int(re.search(r"(\d+) requests in", r).group(1))
        out.append((c1 - c0) * 1e6 / n)
    p.kill(); p.wait()
    return out

CASES = [("plain (gzip off)", "plain", None), ("gzip=True, 17-byte body, client gzip", "gzip", "gzip"),
         ("gzip=True, 2.8 KB body, client gzip", "big", "gzip"), ("gzip=True, 2.8 KB body, no gzip client", "big", None)]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        r = run(sys.argv[1], "plain", None)
        print(f"baseline {sys.argv[1]}, plain: " + ", ".join(f"{x:.2f}" for x in r) + " µs/request", flush=True)
    for label, kind, accept in CASES:
        r = run(HERE, kind, accept)
        print(f"{label}: " + ", ".join(f"{x:.2f}" for x in r) + " µs/request", flush=True)
