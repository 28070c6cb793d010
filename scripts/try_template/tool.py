"""Helpers of scripts/try_template.sh (a FastAPI project's own test suite under FastAPI and AstraAPI).

  tool.py requirements PYPROJECT              the project's dependencies + its test runner, one a line
  tool.py constraints UV_LOCK                 every registry package of the lock pinned (pip -c file)
  tool.py drop-pin CONSTRAINTS PIP_LOG        drops the pin pip could not honour on this Python; exit 1 if none
  tool.py backport DIR                        syntax-only backport of Python 3.14 code to this Python
  tool.py compare A.jsonl B.jsonl             compares two recordings (record_plugin.py); exit 1 on a difference
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from pathlib import Path


def requirements(pyproject: str) -> None:
    project = tomllib.loads(Path(pyproject).read_text())
    wanted = list(project["project"]["dependencies"])
    for group in project.get("dependency-groups", {}).values():
        wanted += [r for r in group if isinstance(r, str) and re.match(r"(pytest|coverage)\b", r)]
    print("\n".join(wanted))


def constraints(lock: str) -> None:
    for package in tomllib.loads(Path(lock).read_text()).get("package", []):
        if "version" in package and "registry" in package.get("source", {}):
            print(f'{package["name"]}=={package["version"]}')


def drop_pin(constraints_file: str, pip_log: str) -> int:
    """A lock made for a newer Python pins releases this one cannot install: pip then names the pin
    in its conflict report ('(constraint) name==version') or as a version it cannot find."""
    log = Path(pip_log).read_text()
    found = re.search(r"\(constraint\) ([A-Za-z0-9_.-]+)==", log) or re.search(
        r"No matching distribution found for ([A-Za-z0-9_.-]+)==", log)
    if not found:
        return 1
    name = found.group(1).lower().replace("_", "-")
    path = Path(constraints_file)
    kept = [line for line in path.read_text().splitlines()
            if line.split("==")[0].lower().replace("_", "-") != name]
    path.write_text("\n".join(kept) + "\n")
    print(f"  unpinned {name} (the locked release does not install on this Python)")
    return 0


# PEP 758 (3.14): `except A, B:` without parentheses.
_EXCEPT = re.compile(r"^(\s*)except\s+(?!\()([\w.]+(?:\s*,\s*[\w.]+)+)\s*:", re.M)


def _forward_names(source: str) -> list[tuple[int, int, int]]:
    """Annotations in class bodies naming a class the module defines later: PEP 649 (3.14) evaluates
    them lazily, older Pythons at class creation. Returns the spans to quote, (line, start column,
    end column): the name, or the whole `X | Y` it is an operand of (`"Pet" | None` would fail)."""
    tree = ast.parse(source)
    defined = {node.name: node.lineno for node in tree.body if isinstance(node, ast.ClassDef)}
    spans = set()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for statement in cls.body:
            if not isinstance(statement, ast.AnnAssign):
                continue
            parents = {child: node for node in ast.walk(statement.annotation) for child in ast.iter_child_nodes(node)}
            for name in ast.walk(statement.annotation):
                if isinstance(name, ast.Name) and defined.get(name.id, 0) > cls.lineno:
                    node = name
                    while isinstance(parents.get(node), ast.BinOp):
                        node = parents[node]
                    if node.lineno != node.end_lineno:
                        raise SystemExit(f"backport: {node.lineno}: a multi-line annotation to quote by hand")
                    spans.add((node.lineno, node.col_offset, node.end_col_offset))
    # a span inside another one is quoted with it
    return [s for s in spans if not any(o != s and o[0] == s[0] and o[1] <= s[1] and s[2] <= o[2] for o in spans)]


def backport(directory: str) -> None:
    changed = 0
    for path in sorted(Path(directory).rglob("*.py")):
        source = path.read_text()
        text = _EXCEPT.sub(lambda m: f"{m.group(1)}except ({m.group(2)}):", source)
        if "from __future__ import annotations" not in text:
            lines = text.splitlines(keepends=True)
            for line, start, end in sorted(_forward_names(text), reverse=True):
                row = lines[line - 1]
                lines[line - 1] = f'{row[:start]}"{row[start:end]}"{row[end:]}'
            text = "".join(lines)
        if text != source:
            path.write_text(text)
            changed += 1
            print(f"  backported {path.relative_to(directory)}")
    print(f"backport: {changed} files changed (syntax only: PEP 758 excepts, PEP 649 forward references quoted)")


def compare(first: str, second: str) -> int:
    a = [json.loads(line) for line in open(first)]
    b = [json.loads(line) for line in open(second)]
    differing = 0
    for x, y in zip(a, b):
        keys = [k for k in x if x.get(k) != y.get(k)]
        if keys:
            differing += 1
            print(f"  differs: {x.get('test', '')} {x['method']} {x['url']}: {', '.join(keys)}")
            for key in keys:
                print(f"    {key}: {str(x[key])[:300]}\n    {' ' * len(key)}  {str(y[key])[:300]}")
    same = len(a) == len(b) and bool(a) and not differing  # nothing recorded is a failure too
    print(f"compared {len(a)} and {len(b)} responses: {differing} differ" + ("" if same else " (or counts differ)"))
    return 0 if same else 1


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"requirements": requirements, "constraints": constraints, "drop-pin": drop_pin,
              "backport": backport, "compare": compare}[command](*args)
    sys.exit(result or 0)
