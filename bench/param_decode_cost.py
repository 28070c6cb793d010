"""Instructions per request spent decoding the parameters of bench/apps/params_app.py's
GET /search/{kind} (an enum path parameter, a header, a cookie, a repeated query key and a
constrained int): load-independent figures.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.param_decode_cost MODE N

MODE is `generic` (the dynamic path: parse_qsl, the cookie parser, pydantic) or `compiled` (the
generated request decoder); run once with N=0 and once with N=2000: (difference in "Collected"
instructions) / 2000 is the cost per request of `RoutePlan.solve`. `bench/param_decode_cost.sh`
does all four runs and prints the figures.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PATH_PARAMS = ("book",)
QUERY = b"tags=a&tags=b&limit=5"
HEADERS = [(b"host", b"bench"), (b"user-agent", b"bench"), (b"accept", b"*/*"), (b"x-token", b"abc"),
           (b"cookie", b"session=s1; theme=dark")]


class _Request:
    method = "GET"
    client = ("127.0.0.1", 1)
    body = b""
    query_string = QUERY
    headers = HEADERS


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    from astraapi.compiler.build import BuildOptions, build
    from astraapi.server.build_loader import load_build
    from astraapi.introspection.app import build_ir
    from astraapi.engine.executor import Executor
    from bench.apps.params_app import app

    ir = build_ir(app, app_ref="bench.apps.params_app:app")
    decoders = None
    if mode == "compiled":
        folder = Path(tempfile.mkdtemp(prefix="astraapi-param-cost-"))
        build(ir, BuildOptions(build_dir=folder))
        decoders = load_build(ir, folder).decoders
    executor = Executor(app, ir, compiled_decoders=decoders)
    route = next(r for r in ir.routes if r.path == "/search/{kind}")
    plan = executor._plans[route.index]
    assert (plan.decoder is not None) == (mode == "compiled"), "the build has no request decoder for /search/{kind}"
    request = _Request()
    values, errors = plan.solve(request, PATH_PARAMS)
    assert not errors and values["tags"] == ["a", "b"] and values["session"] == "s1", (values, errors)
    if mode == "compiled":
        assert plan.decoder(QUERY, PATH_PARAMS, None, HEADERS) is not None, "the decoder declined"
    for _ in range(count):
        plan.solve(request, PATH_PARAMS)


if __name__ == "__main__":
    main()
