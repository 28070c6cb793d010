"""The static tests' files: made once per session (static_files.make_static_root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from static_files import make_static_root, static_env_for


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    return make_static_root(tmp_path_factory.mktemp("static_root"))


@pytest.fixture(scope="session")
def static_env(static_root) -> dict:
    return static_env_for(static_root)
