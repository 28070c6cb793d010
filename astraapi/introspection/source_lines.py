"""Where a class is declared, found with one pass over each source file's tokens.

`inspect.getsourcelines(cls)` parses the whole module again for every class it is asked
about; an app with a few hundred models would spend seconds there at start-up.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import tokenize


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
    """{qualname: line} of every class in the file, from its tokens (no AST: on CPython 3.11 the
    AST constructor's recursion counter is shared between threads, gh-106905, so `ast.parse` here,
    on a server thread, could crash a test thread formatting a traceback at the same moment)."""
    source_lines = linecache.getlines(filename)
    if not source_lines:
        return {}
    lines: dict[str, int] = {}
    scopes: list[tuple[int, str]] = []  # (depth of the statement, qualname prefix inside it)
    depth = 0
    at_line_start = True
    decorator_line = 0
    expect: str | None = None  # "class" or "def" just seen at a statement's start
    statement_line = 0
    try:
        for token in tokenize.generate_tokens(iter(source_lines).__next__):
            kind, text = token.type, token.string
            if kind == tokenize.INDENT:
                depth += 1
                continue
            if kind == tokenize.DEDENT:
                depth -= 1
                while scopes and scopes[-1][0] >= depth:
                    scopes.pop()
                continue
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            if kind == tokenize.NEWLINE:
                at_line_start = True
                continue
            if expect is not None:
                if kind == tokenize.NAME:
                    while scopes and scopes[-1][0] >= depth:
                        scopes.pop()
                    prefix = scopes[-1][1] if scopes else ""
                    qualname = prefix + text
                    if expect == "class":
                        lines.setdefault(qualname, decorator_line or statement_line)
                        scopes.append((depth, qualname + "."))
                    else:
                        scopes.append((depth, qualname + ".<locals>."))
                expect = None
                decorator_line = 0
                continue
            if at_line_start:
                at_line_start = False
                if kind == tokenize.OP and text == "@":
                    decorator_line = decorator_line or token.start[0]
                elif kind == tokenize.NAME and text == "async":
                    at_line_start = True  # `async def`: the keyword follows
                elif kind == tokenize.NAME and text in ("class", "def"):
                    expect = "class" if text == "class" else "def"
                    statement_line = token.start[0]
                else:
                    decorator_line = 0
    except (tokenize.TokenError, SyntaxError):
        return lines
    return lines
