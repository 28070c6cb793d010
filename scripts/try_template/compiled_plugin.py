"""pytest plugin of scripts/try_template.sh: the project's `TestClient(app)` serves the app from its
compiled build (ASTRA_BUILD_DIR, default .astraapi/build, made by `astraapi build $ASTRA_APP_REF`)
instead of in dynamic mode. The test code is unchanged; the summary says which modes were served."""

import os
from pathlib import Path

import astraapi.server.serve as serve

_prepare = serve.prepare
_served: list[str] = []


def prepare(app, *, mode, **options):
    options.setdefault("app_ref", os.environ["ASTRA_APP_REF"])
    options.setdefault("build_dir", Path(os.environ.get("ASTRA_BUILD_DIR", ".astraapi/build")))
    target = _prepare(app, mode="compiled", **options)
    _served.append(target.mode)
    return target


serve.prepare = prepare


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"astraapi TestClient servers started, by mode: {_served}")
