"""Loading the OpenAPI test apps: each is written once, under apps/ importing from `FRAMEWORK`, or under
tests/apps/ importing from astraapi (an app the served tests use too)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

APPS = Path(__file__).resolve().parent / "apps"
APP_NAMES = ("hello", "params_app", "models_app", "metadata_app", "router_app", "settings_app", "edge_app",
             "rootpath_app", "webhooks_app", "types_app", "custom_app", "security_scopes_app",
             "security_basic_app", "security_apikey_app", "deps_tree_app", "form_login_app", "deps_edge_app",
             "annotated_default_app")


SERVED_APPS = APPS.parent.parent / "apps"  # tests/apps: apps the served tests run too, importing astraapi


def write_app(name: str, framework: str, directory: Path) -> Path:
    path = directory / f"oa_{name}_{framework}.py"
    if not path.exists():
        own = APPS / f"{name}.py"
        source = (own.read_text().replace("FRAMEWORK", framework) if own.exists()
                  else (SERVED_APPS / f"{name}.py").read_text().replace("from astraapi ", f"from {framework} "))
        path.write_text(source)
    return path


def import_path(path: Path):
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
