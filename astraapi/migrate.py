"""`astraapi migrate PATH [--diff | --write]`: move a FastAPI project over to AstraAPI.

A libcst codemod: `fastapi` and `fastapi.*` imports, and the Starlette imports AstraAPI provides
(`starlette.responses`, `starlette.status`, ...), are rewritten to `astraapi.*`; everything else in the
file (comments, formatting, relative imports) is left byte for byte. An import naming something AstraAPI
does not provide is left as it was and reported with its file:line, so the project keeps working
(with FastAPI or Starlette still installed) while the report lists what is left to do by hand.
Running it again changes nothing.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

# The Starlette modules AstraAPI provides, and where (FastAPI's own `fastapi.X` maps to `astraapi.X`).
STARLETTE_MODULES = {
    "starlette.background": "astraapi.background",
    "starlette.concurrency": "astraapi.concurrency",
    "starlette.datastructures": "astraapi.datastructures",
    "starlette.exceptions": "astraapi.exceptions",
    "starlette.middleware": "astraapi.middleware",
    "starlette.middleware.cors": "astraapi.middleware.cors",
    "starlette.middleware.gzip": "astraapi.middleware.gzip",
    "starlette.middleware.httpsredirect": "astraapi.middleware.httpsredirect",
    "starlette.middleware.trustedhost": "astraapi.middleware.trustedhost",
    "starlette.requests": "astraapi.requests",
    "starlette.responses": "astraapi.responses",
    "starlette.staticfiles": "astraapi.staticfiles",
    "starlette.status": "astraapi.status",
    "starlette.templating": "astraapi.templating",
    "starlette.testclient": "astraapi.testclient",
    "starlette.websockets": "astraapi.websockets",
}
SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages", "build",
                "dist", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".astraapi"}


def target_module(module: str) -> str | None:
    """The astraapi module standing for `module`, whether or not it exists; None: not FastAPI's or a
    Starlette module AstraAPI provides (left alone, unreported)."""
    if module == "fastapi" or module.startswith("fastapi."):
        return "astraapi" + module[len("fastapi"):]
    return STARLETTE_MODULES.get(module)


def _is_ours(module: str) -> bool:
    root = module.partition(".")[0]
    return root in ("fastapi", "starlette")


_exists_cache: dict[str, bool] = {}


def module_exists(name: str) -> bool:
    if name not in _exists_cache:
        try:
            _exists_cache[name] = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            _exists_cache[name] = False
    return _exists_cache[name]


def missing_names(module: str, names: list[str]) -> list[str]:
    """The names `from module import ...` would not find (attributes or submodules)."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:  # an optional dependency of that module (httpx for the test client): not checkable
        return []
    return [name for name in names if not hasattr(loaded, name) and not module_exists(f"{module}.{name}")]


@dataclass
class Problem:
    file: str
    line: int
    statement: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.statement}: {self.why}"


@dataclass
class FileResult:
    path: Path
    display: str
    before: str
    after: str
    rewritten: int = 0  # import statements changed
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            f"a/{self.display}", f"b/{self.display}"))


class _Rewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, display: str, module: cst.Module) -> None:
        super().__init__()
        self.display, self.module = display, module
        self.rewritten = 0
        self.problems: list[Problem] = []
        # Dotted modules bound by a rewritten `import a.b` (no alias): their uses in the code follow.
        self.renamed_prefixes: dict[str, str] = {}
        self.kept_prefixes: set[str] = set()  # modules whose `import` is left as it was: their uses too

    # -- helpers -----------------------------------------------------------------------------------
    def _report(self, node: cst.CSTNode, why: str) -> None:
        line = self.get_metadata(PositionProvider, node).start.line
        statement = " ".join(self.module.code_for_node(node).split())
        self.problems.append(Problem(self.display, line, statement, why))

    @staticmethod
    def _dotted(name: str) -> cst.Attribute | cst.Name:
        parts = name.split(".")
        node: cst.Attribute | cst.Name = cst.Name(parts[0])
        for part in parts[1:]:
            node = cst.Attribute(value=node, attr=cst.Name(part))
        return node

    # -- import a.b [as c] -------------------------------------------------------------------------
    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names = list(updated.names)
        problems = []
        for alias in names:
            module = get_full_name_for_node(alias.name) or ""
            if not _is_ours(module):
                continue
            target = target_module(module)
            if target is None or not module_exists(target):
                problems.append(f"astraapi provides no module for {module}")
        if problems:
            self._report(original, "; ".join(problems) + " (left as it was)")
            return updated
        changed = False
        for i, alias in enumerate(names):
            module = get_full_name_for_node(alias.name) or ""
            if not _is_ours(module):
                continue
            target = target_module(module)
            names[i] = alias.with_changes(name=self._dotted(target))  # uses: leave_Attribute
            changed = True
        if changed:
            self.rewritten += 1
            return updated.with_changes(names=names)
        return updated

    # -- from a.b import c [as d] ------------------------------------------------------------------
    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if updated.relative or updated.module is None:  # `from . import x`: the project's own code
            return updated
        module = get_full_name_for_node(updated.module) or ""
        if not _is_ours(module):
            return updated
        star = isinstance(updated.names, cst.ImportStar)
        imported = [] if star else [get_full_name_for_node(alias.name) or "" for alias in updated.names]
        target = target_module(module)
        if target is None and module in ("starlette", "starlette.middleware") and not star:
            # `from starlette import status`: each name a submodule AstraAPI must provide
            targets = {target_module(f"{module}.{name}") for name in imported}
            if None in targets or len({t.rpartition(".")[0] for t in targets}) != 1:
                unknown = [n for n in imported if target_module(f"{module}.{n}") is None]
                self._report(original, f"astraapi provides no module for {', '.join(f'{module}.{n}' for n in unknown)}"
                                       " (left as it was)")
                return updated
            target = next(iter(targets)).rpartition(".")[0]
        if target is None or not module_exists(target):
            self._report(original, f"astraapi provides no module for {module} (left as it was)")
            return updated
        missing = [] if star else missing_names(target, imported)
        if missing:
            self._report(original, f"{target} has no {', '.join(missing)} (left as it was)")
            return updated
        self.rewritten += 1
        return updated.with_changes(module=self._dotted(target))

    # -- uses of a module bound by `import fastapi[.x]` ------------------------------------------------
    def visit_Import(self, node: cst.Import) -> bool:
        return False  # its names are rewritten in leave_Import, not as uses

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        """`fastapi.security.OAuth2PasswordBearer` -> `astraapi.security.OAuth2PasswordBearer` (chains of names
        only; the innermost matching chain is rewritten first, so the outer ones no longer match)."""
        if not self.renamed_prefixes:
            return updated
        dotted = _dotted_name(updated)
        if dotted is None or any(dotted == kept or dotted.startswith(kept + ".") or kept.startswith(dotted + ".")
                                 for kept in self.kept_prefixes):
            return updated  # a use of a module left as it was (or a part of one: the outer chain decides)
        for old, new in sorted(self.renamed_prefixes.items(), key=lambda item: -len(item[0])):
            if dotted == old or dotted.startswith(old + "."):
                return self._dotted(new + dotted[len(old):])
        return updated


def _dotted_name(node: cst.BaseExpression) -> str | None:
    """"a.b.c" for a chain of plain names; None for anything else (a call, a subscript)."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _first_pass_prefixes(module: cst.Module) -> tuple[dict[str, str], set[str]]:
    """The renames `import` statements anywhere in the file imply (so that a use above a late import, in a
    function body say, follows too), and the modules whose imports stay as they were (their uses too)."""
    prefixes: dict[str, str] = {}
    kept: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                module = get_full_name_for_node(alias.name) or ""
                target = target_module(module) if _is_ours(module) else None
                if alias.asname is not None or not _is_ours(module):
                    continue
                if target is not None and module_exists(target):
                    prefixes[module] = target
                    if module.startswith("fastapi"):
                        prefixes["fastapi"] = "astraapi"
                else:
                    kept.add(module)

    module.visit(Finder())
    return prefixes, kept


def migrate_source(source: str, display: str) -> tuple[str, int, list[Problem]]:
    """(the rewritten source, import statements rewritten, what could not be rewritten)."""
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module)
    rewriter = _Rewriter(display, wrapper.module)
    rewriter.renamed_prefixes, rewriter.kept_prefixes = _first_pass_prefixes(wrapper.module)
    result = wrapper.visit(rewriter)
    return result.code, rewriter.rewritten, rewriter.problems


def python_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".") and
                         not (Path(folder, d, "pyvenv.cfg").exists()))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder, name)


_REQUIREMENT = re.compile(r"""(^|["'\s,\[])fastapi(\[[^\]]*\])?\s*([<>=!~;,"'\s]|$)""", re.IGNORECASE)


def dependency_notes(root: Path) -> list[Problem]:
    """Where the project declares FastAPI as a dependency (not rewritten: versions are the user's call)."""
    folder = root if root.is_dir() else root.parent
    notes = []
    candidates = sorted(folder.glob("requirements*.txt")) + [folder / "pyproject.toml", folder / "setup.py",
                                                             folder / "setup.cfg"]
    for path in candidates:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _REQUIREMENT.search(line.split("#")[0]):
                notes.append(Problem(str(path.relative_to(folder)), number, line.strip(),
                                     "the project depends on FastAPI: depend on astraapi instead (keep FastAPI while "
                                     "an import above is left as it was)"))
    return notes


def migrate_path(root: Path) -> list[FileResult]:
    results = []
    base = root if root.is_dir() else root.parent
    for path in python_files(root):
        display = str(path.relative_to(base))
        before = path.read_text(encoding="utf-8")
        try:
            after, rewritten, problems = migrate_source(before, display)
        except cst.ParserSyntaxError as exc:
            results.append(FileResult(path, display, before, before, 0,
                                      [Problem(display, exc.raw_line, "(the file)", f"not parsed: {exc.message}")]))
            continue
        results.append(FileResult(path, display, before, after, rewritten, problems))
    return results


def run(root: Path, *, mode: str, out) -> int:
    """mode: "summary", "diff" or "write". Returns the exit status (0; 2 when PATH does not exist)."""
    if not root.exists():
        print(f"astraapi migrate: {root}: no such file or folder", file=out)
        return 2
    results = migrate_path(root)
    changed = [r for r in results if r.changed]
    problems = [p for r in results for p in r.problems]
    if mode == "diff":
        for result in changed:
            out.write(result.diff())
    if mode == "write":
        for result in changed:
            result.path.write_text(result.after, encoding="utf-8")
    verb = "changed" if mode == "write" else "to change"
    print(f"astraapi migrate: {len(results)} Python file{'s' if len(results) != 1 else ''} under {root}, "
          f"{len(changed)} {verb} ({sum(r.rewritten for r in results)} import statements)", file=out)
    if mode == "summary":
        for result in changed:
            print(f"  {result.display}: {result.rewritten} import statement{'s' if result.rewritten != 1 else ''}",
                  file=out)
    if problems:
        print(f"not rewritten ({len(problems)}): AstraAPI does not provide these; each import is left as it was:",
              file=out)
        for problem in problems:
            print(f"  {problem}", file=out)
    notes = dependency_notes(root)
    if notes:
        print("to do by hand:", file=out)
        for note in notes:
            print(f"  {note}", file=out)
    if mode == "summary" and changed:
        print("astraapi migrate PATH --diff shows the changes, --write makes them", file=out)
    return 0
