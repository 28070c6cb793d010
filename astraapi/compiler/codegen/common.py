"""What the code generator's planners share (serializers, encoders, body and parameter decoders):
the Unsupported reason, type text for comments, and the checks of numeric, length and pattern
constraints that generated code makes."""

from __future__ import annotations

import re

from astraapi.ir.nodes import TypeRef

INT64_LIMIT = 2**63 - 1
NUMERIC = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
LENGTH = {"min_length": ">=", "max_length": "<="}


class Unsupported(Exception):
    """This type cannot be serialized by generated code (yet); the message says why."""


def type_text(ref: TypeRef) -> str:
    return ref.text or ref.kind


# Pattern text on which pydantic's regex (Rust's regex crate, search semantics) and Python's re
# agree for every string without a newline (Python's `$` also matches before a final newline):
# literal characters, `.`, classes of plain characters and ranges, groups, alternation, anchors and
# quantifiers. No escapes but of punctuation (\d, \w, \b, \p differ in details), no `(?` (flags,
# lookaround), no `[:`/`&&`/`--`/`~~` (Rust's class syntax), no `{,n}`.
_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-^$.*+?{}[]()|,:/@#%&=~!<>'\"")
_PATTERN_ESCAPED = frozenset(".-+*?()[]{}|^$\\/")


def plain_pattern(pattern: str) -> bool:
    if any(part in pattern for part in ("(?", "[:", "&&", "--", "~~", "{,", "[[", "[]", "[^]")):
        return False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _PATTERN_ESCAPED:
                return False
            i += 2
            continue
        if char not in _PATTERN_CHARS:
            return False
        if char == "{":  # only a repetition {n}, {n,} or {n,m} (Python reads other braces as text)
            end = pattern.find("}", i)
            if end < 0 or not re.fullmatch(r"[0-9]+(,[0-9]*)?", pattern[i + 1:end]):
                return False
            i = end
        elif char == "}":
            return False
        i += 1
    return True


def numeric_checks(kind: str, constraints: dict) -> tuple[str, ...]:
    checks = []
    for name, value in sorted(constraints.items()):
        if name in NUMERIC:
            checks.append(f"value {NUMERIC[name]} {number_literal(value, kind)}")
        elif name == "multiple_of" and kind == "int" and type(value) is int and 0 < value <= INT64_LIMIT:
            checks.append(f"value % INT64_C({value}) == 0")
        else:
            raise Unsupported(f"constraint {name}={value!r} on {kind} is checked by pydantic")
    return tuple(checks)


def length_checks(subject: str, constraints: dict) -> tuple[str, ...]:
    checks = []
    for name, value in sorted(constraints.items()):
        if name not in LENGTH or type(value) is not int or not 0 <= value <= INT64_LIMIT:
            raise Unsupported(f"constraint {name}={value!r} is checked by pydantic")
        checks.append(f"{subject} {LENGTH[name]} {value}u")
    return tuple(checks)


def number_literal(value: object, kind: str, *, where: str = "", fallback: str = "checked by pydantic",
                   int_note: str = " on an int") -> str:
    """The C++ literal of a numeric constraint's value; Unsupported (`where` + what, `fallback`: who
    checks it instead) when generated code cannot compare with it exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"{where}constraint value {value!r} is {fallback}")
    if kind == "int":
        if not isinstance(value, int) or abs(value) > INT64_LIMIT:
            raise Unsupported(f"{where}constraint value {value!r}{int_note} is {fallback}")
        return f"INT64_C({value})"
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise Unsupported(f"{where}constraint value {value!r} is {fallback}")
    if isinstance(value, int) and float(value) != value:
        raise Unsupported(f"{where}constraint value {value!r} is not exact as a double")
    return repr(number)
