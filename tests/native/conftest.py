"""Fixtures for the native runtime tests (astraapi._runtime)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NATIVE_DIR = Path(__file__).resolve().parent
REPO = NATIVE_DIR.parent.parent
FIXTURES = NATIVE_DIR / "fixtures"


@pytest.fixture(scope="session")
def rt():
    from astraapi import _runtime

    return _runtime


def include_dir() -> Path:
    """The runtime's public headers: installed with the package, else the source tree
    (an editable install keeps them in the repository)."""
    import astraapi

    installed = Path(astraapi.__file__).resolve().parent / "include"
    if (installed / "astraapi" / "abi.h").is_file():
        return installed
    return REPO / "runtime_cpp" / "include"


@pytest.fixture(scope="session")
def compile_module(tmp_path_factory):
    """compile_module(source, **defines) -> path of a shared library built from `source`
    (a file in tests/native/fixtures) with the public headers; cached per defines."""
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not cxx:
        pytest.skip("no C++ compiler (c++) on PATH")
    out_dir = tmp_path_factory.mktemp("app_modules")
    built: dict[tuple, Path] = {}

    def compile_(source: str, **defines: str | int | None) -> Path:
        key = (source, tuple(sorted((k, str(v)) for k, v in defines.items())))
        if key in built:
            return built[key]
        tag = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        out = out_dir / f"{Path(source).stem}-{tag}.so"  # distinct names: dlopen caches by path
        cmd = [cxx, "-std=c++20", "-O1", "-shared", "-fPIC", "-fvisibility=hidden",
               f"-I{include_dir()}", str(FIXTURES / source), "-o", str(out)]
        for name, value in defines.items():
            if value is None:
                cmd.append(f"-D{name}")
            elif isinstance(value, str):
                cmd.append(f'-D{name}="{value}"')
            else:
                cmd.append(f"-D{name}={value}")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
        built[key] = out
        return out

    return compile_
