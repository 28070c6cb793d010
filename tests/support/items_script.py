"""One scripted session against the example items API, replayed on every server under test."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from support.paths import REPO_DIR

JSON = {"content-type": "application/json"}

# (method, path, body, extra headers); a dict/list body is sent as JSON, bytes as they are.
STEPS = [
    ("GET", "/", None, {}),
    ("GET", "/items", None, {}),
    ("POST", "/items", {"name": "Widget", "price": 9.5, "tags": ["a", "b"]}, {}),
    ("POST", "/items", {"name": "Gadget", "price": 1e16, "description": "ünïcödé ✓ \"q\" \\ \n"}, {}),
    ("POST", "/items", {"name": "Tiny", "price": 0.00001, "tags": []}, {}),
    ("POST", "/items", {"name": "Cheap", "price": 3, "extra": "ignored"}, {}),
    ("POST", "/items", {"name": "", "price": -1}, {}),
    ("POST", "/items", {"price": "abc"}, {}),
    ("POST", "/items", b"{not json", JSON),
    ("POST", "/items", None, {}),
    ("GET", "/items/1", None, {}),
    ("GET", "/items/2", None, {}),
    ("GET", "/items/999", None, {}),
    ("GET", "/items/abc", None, {}),
    ("GET", "/items?limit=2&offset=1", None, {}),
    ("GET", "/items?limit=0", None, {}),
    ("GET", "/items?limit=x&offset=y", None, {}),
    ("GET", "/items?q=Gad", None, {}),
    ("PUT", "/items/1", {"name": "Widget 2", "price": 10.25, "tags": ["c"]}, {}),
    ("GET", "/items/1", None, {}),
    ("DELETE", "/items/2", None, {}),
    ("DELETE", "/items/2", None, {}),
    ("GET", "/stats", None, {}),
    ("GET", "/items/", None, {}),
    ("PATCH", "/items/1", None, {}),
    ("GET", "/missing", None, {}),
]


def replay(client, steps=STEPS) -> list[tuple]:
    """[(status, [(header, value)...], body)] for each step; `client` is an httpx-style client."""
    from support.compare import SERVER_ONLY_HEADERS, response_triple

    results = []
    for method, path, body, headers in steps:
        kwargs = {"headers": {"host": "testserver", **headers}}
        if isinstance(body, (dict, list)):
            kwargs["content"] = json.dumps(body).encode()
            kwargs["headers"].update(JSON)
        elif isinstance(body, bytes):
            kwargs["content"] = body
        response = client.request(method, path, follow_redirects=False, **kwargs)
        results.append(((method, path), *response_triple(response, ignore=SERVER_ONLY_HEADERS)))
    return results


def load_with_fastapi(module_path: Path, db_path: Path):
    """Import an AstraAPI app's source with only the import changed to fastapi."""
    source = (module_path.read_text().replace("from astraapi import", "from fastapi import")
              .replace("from astraapi.", "from fastapi."))
    os.environ["ITEMS_DB"] = str(db_path)
    name = f"fastapi_twin_{module_path.stem}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, str(module_path), "exec"), module.__dict__)
    return module


ITEMS_APP = REPO_DIR / "examples" / "items_api.py"
