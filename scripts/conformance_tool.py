"""Helpers of scripts/conformance.sh (FastAPI's own test suite against this checkout).

  conformance_tool.py test-deps PYPROJECT         the suite's `tests` dependency group (PEP 735), one a line
  conformance_tool.py install-alias SITE_PACKAGES  make `import fastapi[.x]` give `astraapi[.x]` in that venv
  conformance_tool.py outcomes JUNIT_XML OUT       nodeid<TAB>outcome lines from a pytest --junitxml report
  conformance_tool.py report OURS BASELINE         kept % (of what FastAPI passes), overall and per area
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

# Dependencies of the group that only lint or measure (nothing in tests/ imports them).
NOT_NEEDED = {"mypy", "ty", "ruff", "pytest-codspeed", "coverage", "prek", "zizmor", "playwright"}


def test_deps(pyproject: str) -> None:
    groups = tomllib.loads(Path(pyproject).read_text())["dependency-groups"]

    def expand(name: str) -> list[str]:
        found: list[str] = []
        for entry in groups[name]:
            if isinstance(entry, dict):
                found += expand(entry["include-group"])
            elif re.split(r"[\s\[<>=~!;]", entry, maxsplit=1)[0].lower() not in NOT_NEEDED:
                found.append(entry)
        return found

    print("\n".join(dict.fromkeys(expand("tests"))))


ALIAS_MODULE = '''\
"""Installed by astraapi's scripts/conformance.sh: `fastapi` and `fastapi.<sub>` are astraapi's modules
(the same objects, so patching one patches the other); a name containing "FastAPI" that astraapi lacks
is looked up with "AstraAPI" instead."""
import importlib
import importlib.abc
import importlib.util
import sys


class _Alias(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        if not getattr(module, "_fastapi_alias_names", False):
            previous = getattr(module, "__getattr__", None)

            def __getattr__(name, _previous=previous, _module=module):
                if "FastAPI" in name:
                    try:
                        return getattr(_module, name.replace("FastAPI", "AstraAPI"))
                    except AttributeError:
                        pass
                if _previous is not None:
                    return _previous(name)
                raise AttributeError(f"module {_module.__name__!r} has no attribute {name!r}")

            module.__getattr__ = __getattr__
            module._fastapi_alias_names = True
        return module

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "fastapi" and not name.startswith("fastapi."):
            return None
        real = "astraapi" + name[len("fastapi"):]
        if importlib.util.find_spec(real) is None:
            return None
        spec = importlib.util.spec_from_loader(name, _Alias(real), is_package=True)
        return spec


if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
'''


def install_alias(site_packages: str) -> None:
    directory = Path(site_packages)
    (directory / "_astraapi_fastapi_alias.py").write_text(ALIAS_MODULE)
    (directory / "_astraapi_fastapi_alias.pth").write_text("import _astraapi_fastapi_alias\n")


def outcomes(junit_xml: str, out: str) -> None:
    lines = []
    for case in ElementTree.parse(junit_xml).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        parts = classname.split(".")
        # classname is the dotted module (plus a class); rebuild a path-like id
        module_parts = [p for p in parts if not p[:1].isupper()]
        class_parts = parts[len(module_parts):]
        nodeid = "/".join(module_parts) + ".py::" + "::".join([*class_parts, name])
        tags = {child.tag for child in case}
        if "failure" in tags:
            outcome = "failed"
        elif "error" in tags:
            outcome = "error"
        elif "skipped" in tags:
            skipped = case.find("skipped")
            outcome = "passed" if skipped is not None and skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            outcome = "passed"
        lines.append(f"{nodeid}\t{outcome}")
    Path(out).write_text("\n".join(sorted(lines)) + "\n")


AREAS = [  # (area, regex on the test id); the first that matches
    ("websockets", r"websocket|test_ws_"),
    ("security", r"security|oauth|auth"),
    ("middleware/ASGI", r"middleware|cors|gzip|asgi|mount|sub_app|root_path|proxy|https"),
    ("streaming/SSE", r"stream|sse|jsonl|event_source"),
    ("forms/files", r"form|file|upload|multipart"),
    ("dependencies", r"depend|yield|background|concurrency"),
    ("OpenAPI/docs", r"openapi|schema|swagger|redoc|docs|callback|webhook|separate_input_output|tags"),
    ("response models", r"response|serializ|encoder|jsonable"),
    ("errors/handlers", r"exception|error|handler|validation_error"),
    ("params/validation", r"param|query|path|header|cookie|body|alias|valid|model|union|enum|annotated|default"),
    ("telemetry", r"telemetry|opentelemetry|logfire|sentry"),
    ("routing/app", r""),
]


def _read(path: str) -> dict[str, str]:
    result = {}
    for line in Path(path).read_text().splitlines():
        if "\t" in line:
            nodeid, outcome = line.split("\t", 1)
            result[nodeid] = outcome
    return result


def report(ours_path: str, baseline_path: str) -> None:
    ours, baseline = _read(ours_path), _read(baseline_path)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for nodeid, outcome in baseline.items():
        if outcome != "passed":
            continue
        area = next(name for name, pattern in AREAS if re.search(pattern, nodeid.split("::")[0].lower()))
        totals[area][0] += 1
        totals[area][1] += ours.get(nodeid) == "passed"
    print(f"{'area':<20} {'FastAPI passes':>14} {'kept':>6} {'kept %':>7}")
    for area, _ in AREAS:
        if area in totals:
            base, kept = totals[area]
            print(f"{area:<20} {base:>14} {kept:>6} {100 * kept / base:>6.1f}%")
    base = sum(v[0] for v in totals.values())
    kept = sum(v[1] for v in totals.values())
    print(f"{'total':<20} {base:>14} {kept:>6} {100 * kept / max(base, 1):>6.1f}%")
    print(f"conformance: {kept} of the {base} tests FastAPI passes pass on this checkout "
          f"({100 * kept / max(base, 1):.1f}% kept)")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"test-deps": test_deps, "install-alias": install_alias, "outcomes": outcomes, "report": report}[command](*args)
