"""`astraapi dev`'s reloader side: the start-up banner, the user's errors shown with file:line (the reloader
keeps watching and restarts on the next change), and reload limited to the app's own files.

The reloader (watchfiles, in the parent process) restarts the server process when a file changes. The server
process, once it has imported the app, writes the list of the app's own modules (the Python files under the
project folder it imported, outside virtual environments) to the file named by $ASTRAAPI_DEV_FILES; the
reloader then reloads only for those. Until a list exists (the first import failed), every Python file under
the project folder counts, so fixing the error reloads.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

FILES_ENV = "ASTRAAPI_DEV_FILES"
_SKIPPED_PARTS = {".venv", "venv", "site-packages", "dist-packages", "__pycache__", ".astraapi", "build", ".git"}


def own_module_files(root: Path) -> list[str]:
    """The files of the imported modules that belong to the project under `root`."""
    root = root.resolve()
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        resolved = Path(path).resolve()
        if root in resolved.parents and not _SKIPPED_PARTS.intersection(resolved.relative_to(root).parts):
            files.add(str(resolved))
    return sorted(files)


def record_own_files(root: Path) -> None:
    target = os.environ.get(FILES_ENV)
    if target:
        Path(target).write_text("\n".join(own_module_files(root)))


def forget_own_files() -> None:
    target = os.environ.get(FILES_ENV)
    if target:
        Path(target).unlink(missing_ok=True)


class AppFilesFilter:
    """A watchfiles filter: a change to one of the app's own files (the list the server process wrote),
    or, before there is a list, to any Python file under the project that is not in a virtual environment."""

    def __init__(self, root: Path, listing: Path) -> None:
        import watchfiles

        self.root, self.listing = root.resolve(), listing
        self._python = watchfiles.PythonFilter()
        self._stamp: float | None = None
        self._files: set[str] = set()

    def files(self) -> set[str]:
        try:
            stamp = self.listing.stat().st_mtime
        except OSError:
            return set()
        if stamp != self._stamp:
            self._stamp = stamp
            self._files = {line for line in self.listing.read_text().splitlines() if line}
        return self._files

    def __call__(self, change, path: str) -> bool:
        if not self._python(change, path):
            return False
        resolved = Path(path).resolve()
        files = self.files()
        if files:
            return str(resolved) in files
        try:
            parts = resolved.relative_to(self.root).parts
        except ValueError:
            return False
        return not _SKIPPED_PARTS.intersection(parts)


def banner(app, ref: str, host: str, port: int, *, reload: bool, workers: int = 1) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    base = f"http://{shown}:{port}" if port else f"http://{shown}:<port chosen by the kernel>"
    lines = [f"AstraAPI dev server (dynamic mode) for {ref}", f"  app:     {base}"]
    docs = getattr(app, "docs_url", None)
    redoc = getattr(app, "redoc_url", None)
    if docs and getattr(app, "openapi_url", None):
        lines.append(f"  docs:    {base}{docs}" + (f"   (ReDoc: {base}{redoc})" if redoc else ""))
    if host in ("0.0.0.0", "::"):
        lines.append(f"  listening on all interfaces ({host})")
    lines.append("  reload:  on (the app's own Python files)" if reload else
                 f"  reload:  off ({workers} worker{'s' if workers != 1 else ''})")
    lines.append("  Ctrl+C to stop")
    return "\n".join(lines)


def describe_user_error(exc: BaseException, root: Path) -> str:
    """The error with the innermost frame in the user's own files first (file:line), then the traceback's
    user frames and the exception, without the framework's frames when there are user frames."""
    root = root.resolve()
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if _is_users(f.filename, root)]
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{_relative(exc.filename, root)}:{exc.lineno}: "
    elif mine:
        where = f"{_relative(mine[-1].filename, root)}:{mine[-1].lineno}: "
    head = f"astraapi dev: error in the app: {where}{type(exc).__name__}: {exc}"
    shown = traceback.format_list(mine) if mine else traceback.format_list(frames)
    return head + "\n" + "".join(shown) + "".join(traceback.format_exception_only(type(exc), exc))


def _is_users(filename: str, root: Path) -> bool:
    if not os.path.isabs(filename):  # "<frozen importlib._bootstrap>", "<string>"
        return False
    path = Path(filename).resolve()
    return root in path.parents and not _SKIPPED_PARTS.intersection(path.relative_to(root).parts)


def _relative(filename: str, root: Path) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(root)) if root in path.parents else filename
