"""OpenAPI differential tests: each app under tests/openapi/apps is written once, importing from
`FRAMEWORK`, and loaded twice: with fastapi (the reference) and with astraapi."""

from __future__ import annotations

from pathlib import Path

import pytest

from openapi_apps import import_path, write_app


@pytest.fixture(scope="session")
def apps_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("openapi_apps")


@pytest.fixture(scope="session")
def load_pair(apps_dir):
    """load_pair(name) -> (fastapi app, astraapi app)."""
    pytest.importorskip("fastapi")

    def load(name: str):
        return tuple(import_path(write_app(name, framework, apps_dir)).app for framework in ("fastapi", "astraapi"))

    return load
