"""Where a class is declared, found with one parse per source file.

`inspect.getsourcelines(cls)` parses the whole module again for every class it is asked
about; an app with a few hundred models would spend seconds there at start-up.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache


def class_line(cls: type) -> int:
    """The line of `class Name` for `cls`, or 0 when its source cannot be read."""
    first = getattr(cls, "__firstlineno__", None)  # Python 3.13+ records it
    if isinstance(first, int):
        return first
    try:
        filename = inspect.getsourcefile(cls)
    except TypeError:
        return 0
    if not filename:
        return 0
    return _class_lines(filename).get(cls.__qualname__, 0)


@functools.lru_cache(maxsize=256)
def _class_lines(filename: str) -> dict[str, int]:
    source = "".join(linecache.getlines(filename))
    if not source:
        return {}
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return {}
    lines: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                qualname = prefix + child.name
                # The decorator list starts the declaration, as inspect reports it.
                line = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                lines.setdefault(qualname, line)
                visit(child, qualname + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, prefix + child.name + ".<locals>.")
            elif not isinstance(child, ast.Lambda):
                visit(child, prefix)

    visit(tree, "")
    return lines
