"""Shared fixtures: real servers on 127.0.0.1, in dynamic and in compiled mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.paths import REPO_DIR  # noqa: E402
from support.servers import BuildCache, ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory) -> BuildCache:
    return BuildCache(tmp_path_factory.mktemp("builds"))


@pytest.fixture(scope="session")
def start_server(build_cache, tmp_path_factory):
    """start_server(app_ref, mode, cwd=..., env=...) -> a running ServerProcess, stopped at the end."""
    started: list[ServerProcess] = []

    def start(app_ref: str, mode: str, *, cwd: Path = REPO_DIR, env: dict | None = None,
              workers: int = 1, args: tuple[str, ...] = ()) -> ServerProcess:
        build_dir = build_cache.build(app_ref, cwd=cwd, env=env) if mode == "compiled" else None
        server = ServerProcess(app_ref, mode, cwd=cwd, env=env, build_dir=build_dir, workers=workers, args=args)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
