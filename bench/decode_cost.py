"""Instructions per request spent decoding POST /items' body (load-independent figures).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.decode_cost MODE N

MODE is `generic` (json.loads + pydantic, the dynamic path) or `compiled` (the generated body
decoder); run once with N=0 and once with N=2000: (difference in "Collected" instructions) / 2000
is the cost per request of `RoutePlan.solve` for the benchmark's body. `bench/decode_cost.sh`
does all four runs and prints the figures.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench.routes import BY_KEY


class _Request:
    method = "POST"
    client = ("127.0.0.1", 1)
    query_string = b""

    def __init__(self, body: bytes, headers: list) -> None:
        self.body = body
        self.headers = headers


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    from astraapi.compiler.build import BuildOptions, build
    from astraapi.server.build_loader import load_build
    from astraapi.introspection.app import build_ir
    from astraapi.engine.executor import Executor
    from bench.apps.astra_app import app

    ir = build_ir(app, app_ref="bench.apps.astra_app:app")
    decoders = None
    if mode == "compiled":
        folder = Path(tempfile.mkdtemp(prefix="astraapi-decode-cost-"))
        build(ir, BuildOptions(build_dir=folder))
        decoders = load_build(ir, folder).decoders
    executor = Executor(app, ir, compiled_decoders=decoders)
    route = next(r for r in ir.routes if r.path == "/items" and "POST" in r.methods)
    plan = executor._plans[route.index]
    assert (plan.decoder is not None) == (mode == "compiled"), "the build has no body decoder for POST /items"
    wanted = BY_KEY["post"].request
    request = _Request(wanted.body, [(k.lower().encode(), v.encode()) for k, v in wanted.headers])
    values, errors = plan.solve(request, ())
    assert not errors and values["item"].model_dump() == json.loads(wanted.body)
    for _ in range(count):
        plan.solve(request, ())


if __name__ == "__main__":
    main()
