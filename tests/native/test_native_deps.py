"""cmake/native_deps.py: hash checking, offline folder, what it writes for CMake.
These run without network access."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "cmake" / "native_deps.py"
SDISTS = ("httptools-0.9.0.tar.gz", "yyjson-4.0.6.tar.gz", "deflate-0.9.0.tar.gz")


def run(tmp_path: Path, offline: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "ASTRAAPI_SDIST_DIR": str(offline), "ASTRAAPI_LIBDEFLATE": "sdist",
                # Never reach an index from these tests.
                "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", **env}
    full_env.pop("ASTRAAPI_DEPS_CACHE", None)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--cache-dir", str(tmp_path / "cache"),
         "--cmake-out", str(tmp_path / "deps.cmake")],
        capture_output=True, text=True, env=full_env,
    )


def cached_sdists() -> Path | None:
    """A folder holding the three pinned sdists, from a previous build's download cache."""
    for folder in sorted(REPO.glob("build/*/_deps/sdists")):
        if all((folder / name).is_file() for name in SDISTS):
            return folder
    return None


def test_hash_mismatch_is_refused_with_both_hashes(tmp_path):
    offline = tmp_path / "sdists"
    offline.mkdir()
    (offline / "httptools-0.9.0.tar.gz").write_bytes(b"not the real archive")
    proc = run(tmp_path, offline)
    assert proc.returncode == 1
    assert "sha256 mismatch for llhttp (httptools==0.9.0)" in proc.stderr
    assert "d484ebb7e3a3f3597b0f645fbd1b85633674ca808c1f5ba11c2caf7c66f5c8b6" in proc.stderr  # expected
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "deps.cmake").exists()


def test_no_network_message(tmp_path):
    offline = tmp_path / "empty"
    offline.mkdir()
    proc = run(tmp_path, offline)
    assert proc.returncode == 1
    assert "could not download httptools==0.9.0" in proc.stderr
    assert "ASTRAAPI_SDIST_DIR" in proc.stderr


def test_offline_folder(tmp_path):
    offline = cached_sdists()
    if offline is None:
        pytest.skip("no build/*/_deps/sdists with the pinned archives (build with --no-build-isolation first)")
    proc = run(tmp_path, offline)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("from offline folder") == 3
    text = (tmp_path / "deps.cmake").read_text()
    for var in ("ASTRA_LLHTTP_SOURCES", "ASTRA_YYJSON_LICENSE", "ASTRA_LIBDEFLATE_SOURCES"):
        assert f"set({var} " in text
    yy_license = next((tmp_path / "cache" / "src").glob("yyjson-*/LICENSE")).read_text()
    assert "Copyright (c) 2020 YaoYuan" in yy_license and "Permission is hereby granted" in yy_license
    # A second run uses the extracted cache and touches nothing.
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.c")}
    proc = run(tmp_path, tmp_path / "nowhere")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("cached") == 3
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.c")}
