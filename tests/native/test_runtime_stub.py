"""astraapi/_runtime.pyi (the native module's stub, shipped in the wheel) matches the built module."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_stub_matches_the_native_module(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in pyproject's `test` extra)")
    env = dict(os.environ, MYPYPATH=str(ROOT))  # the stub next to the sources, as the wheel ships it
    # The allowlist names only what a stub of a pybind11 module cannot express (see the file).
    allowlist = Path(__file__).with_name("runtime_stub_allowlist.txt")
    run = subprocess.run([sys.executable, "-m", "mypy.stubtest", "astraapi._runtime", "--allowlist", str(allowlist)],
                         capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env)  # mypy's cache in tmp_path
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
