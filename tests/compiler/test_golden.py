"""Golden files: app -> IR dump, and IR -> emitted C++, for the apps in golden/apps/.

Regenerate after an intended change with:  ASTRAAPI_UPDATE_GOLDEN=1 python -m pytest tests/compiler/test_golden.py
then read the diff before committing it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import pytest

from astraapi.compiler.codegen.emit import emit_app_module
from astraapi.introspection.app import build_ir
from support.paths import REPO_DIR

GOLDEN = Path(__file__).parent / "golden"
APPS = sorted(p.stem for p in (GOLDEN / "apps").glob("*.py"))
UPDATE = os.environ.get("ASTRAAPI_UPDATE_GOLDEN") == "1"


def load_ir(name: str, monkeypatch):
    monkeypatch.chdir(REPO_DIR)  # source locations in the IR are relative to the working directory
    monkeypatch.syspath_prepend(str(GOLDEN / "apps"))
    sys.modules.pop(name, None)
    module = importlib.import_module(name)
    return build_ir(module.app, app_ref=f"{name}:app")


def check(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with ASTRAAPI_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: an intended change? see {__doc__}"


@pytest.mark.parametrize("name", APPS)
def test_ir_dump(name, monkeypatch):
    ir = load_ir(name, monkeypatch)
    pretty = json.dumps(json.loads(ir.to_json()), indent=2, ensure_ascii=False) + "\n"
    check(GOLDEN / name / "ir.json", pretty)


@pytest.mark.parametrize("name", APPS)
def test_emitted_code(name, monkeypatch):
    emitted = emit_app_module(load_ir(name, monkeypatch))
    for relative, text in emitted.files.items():
        check(GOLDEN / name / "generated" / relative, text)
    if not UPDATE:
        on_disk = {p.relative_to(GOLDEN / name / "generated").as_posix()
                   for p in (GOLDEN / name / "generated").rglob("*") if p.is_file()}
        assert on_disk == set(emitted.files), "golden files no longer emitted: regenerate"
