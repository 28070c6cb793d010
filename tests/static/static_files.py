"""The files the static tests serve, with fixed mtimes (so ETag and Last-Modified are the same
for every server that stats them), and the FastAPI twin of a test app."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from support.paths import APPS_DIR

MTIME = 1_700_000_000  # 2023-11-14T22:13:20Z
BIG_SIZE = 8 * 1024 * 1024 + 17
SECRET = b"TOP-SECRET-OUTSIDE-THE-DIRECTORY\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))


def make_static_root(root: Path) -> Path:
    _write(root / "outside" / "secret.txt", SECRET)
    static = root / "static"
    _write(static / "a.css", b"body { color: red; }\n")
    _write(static / "app.js", b"console.log('hi');\n")
    _write(static / "data.json", b'{"a": 1}\n')
    _write(static / "image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    _write(static / "hello world.txt", b"spaces in the name\n")
    _write(static / "résumé.txt", "accents\n".encode())
    _write(static / "empty.txt", b"")
    _write(static / "noext", b"no extension\n")
    _write(static / "digits.txt", b"0123456789" * 10)
    _write(static / "sub" / "index.html", b"<h1>sub index</h1>\n")
    _write(static / "shadowed.txt", b"the file under the route\n")
    big = bytes((i * 7 + i // 251) & 0xFF for i in range(65536)) * (BIG_SIZE // 65536) + b"x" * (BIG_SIZE % 65536)
    _write(static / "big.bin", big)
    os.symlink(root / "outside" / "secret.txt", static / "link-out.txt")
    os.symlink(static / "a.css", static / "link-in.css")
    site = root / "site"
    _write(site / "index.html", b"<h1>home</h1>\n")
    _write(site / "404.html", b"<h1>custom not found</h1>\n")
    _write(site / "docs" / "index.html", b"<h1>docs</h1>\n")
    _write(site / "docs" / "page.html", b"<h1>page</h1>\n")
    dist = root / "dist"
    _write(dist / "index.html", b"<!doctype html><div id=app></div>\n")
    _write(dist / "assets" / "app.js", b"render();\n")
    _write(dist / "guide" / "index.html", b"<h1>guide</h1>\n")
    admin = root / "admin"
    _write(admin / "index.html", b"<h1>admin shell</h1>\n")
    _write(admin / "admin.js", b"admin();\n")
    return root


def static_env_for(static_root: Path) -> dict:
    return {"STATIC_ROOT": str(static_root), "FRONTEND_DIST": str(static_root / "dist"),
            "FRONTEND_ADMIN": str(static_root / "admin")}


def big_digest(root: Path) -> str:
    return hashlib.sha256((root / "static" / "big.bin").read_bytes()).hexdigest()


def load_with_fastapi(app_file: str, env: dict):
    """The test app's source with only the import changed to fastapi, imported in this process."""
    import importlib.util

    os.environ.update(env)
    source = ((APPS_DIR / app_file).read_text().replace("from astraapi import", "from fastapi import")
              .replace("from astraapi.", "from fastapi."))
    name = f"fastapi_twin_{Path(app_file).stem}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, str(APPS_DIR / app_file), "exec"), module.__dict__)
    return module
