"""`astraapi inspect` and the build summary give the share of routes fully compiled, and `inspect` each
reason a route falls back with its count."""

import re

from astraapi.compiler.coverage import coverage
from support.paths import REPO_DIR
from support.servers import run_cli


def test_coverage_counts_routes_and_reasons():
    share = coverage(
        range(6),
        {0: "no response model", 1: "no response model", 4: "model X: field 'y': type kind 'other'"},
        {0: "no parameters to decode", 1: "dependencies are solved on the generic path",
         2: "dependencies are solved on the generic path", 4: "a frontend mount: nothing to decode"},
    )
    # route 3: serializer and decoder; route 5: serializer, decoder; route 2: serializer, no decoder.
    assert (share.routes, share.serializers, share.decoding, share.decoders, share.fully) == (6, 3, 4, 2, 2)
    assert share.reasons == [("request", "dependencies are solved on the generic path", 2),
                             ("response", "no response model", 2),
                             ("response", "model X: field 'y': type kind 'other'", 1)]
    assert share.lines()[0] == ("fully compiled: 2 of 6 routes (33%); response serializer: 3 of 6 (50%); "
                                "request decoder: 2 of 4 routes with something to decode (50%)")
    assert share.lines()[2] == "     2  request: dependencies are solved on the generic path"


def test_inspect_prints_the_compiled_share(tmp_path):
    done = run_cli(["inspect", "compat_real_types_app:app", "--build-dir", str(tmp_path)],
                   cwd=REPO_DIR / "tests" / "apps")
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    # 4 docs routes without a response model; the 6 routes of real field types (EmailStr, UUID, aware
    # datetimes, enums, SecretStr, SQLModel) all compiled, /orders/{index} with its request decoder.
    assert ("fully compiled: 6 of 10 routes (60%); response serializer: 6 of 10 (60%); "
            "request decoder: 1 of 1 routes with something to decode (100%)") in lines
    assert "why routes fall back (routes, reason):" in lines
    assert "4  response: no response model (the response is encoded generically)" in lines
    assert not any(re.match(r"generic path: .*/(orders|users)", line) for line in lines), done.stdout
