"""`response_model_include` / `response_model_exclude` (pydantic's IncEx) in the IR, and back.

The user gives a set, list or dict of field names (str) or list indexes (int), dict values being
`...`/True (the whole field) or a nested IncEx, as pydantic's `dump_json(include=, exclude=)`
takes them. The IR holds them as canonical JSON text (a list of `[key, value]` pairs sorted by
key, so equal declarations hash equally): JSON objects could not keep int keys apart from str.
The engine turns the text back into the dict pydantic is given (`{key: True | {...}}`), which
selects the same fields as what the user wrote.
"""

from __future__ import annotations

import json
from typing import Any


class IncExError(ValueError):
    """Not something pydantic's include/exclude takes."""


def _pairs(value: Any, where: str) -> list[list[Any]]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (set, frozenset, list, tuple)):
        items = [(key, True) for key in value]
    else:
        raise IncExError(f"{where}: {value!r} is not a set, list or dict of field names")
    pairs = []
    for key, sub in items:
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise IncExError(f"{where}: key {key!r} is neither a field name (str) nor an index (int)")
        if sub is ... or sub is True:
            pairs.append([key, True])
        else:
            pairs.append([key, _pairs(sub, where)])
    pairs.sort(key=lambda pair: (isinstance(pair[0], str), str(pair[0]) if isinstance(pair[0], str) else pair[0]))
    return pairs


def incex_json(value: Any, where: str) -> str | None:
    """The IR text of an include/exclude (None when not given); IncExError when pydantic would refuse it."""
    if value is None:
        return None
    return json.dumps(_pairs(value, where), separators=(",", ":"), ensure_ascii=False)


def _mapping(pairs: list[list[Any]]) -> dict[Any, Any]:
    return {key: True if sub is True else _mapping(sub) for key, sub in pairs}


def incex_from_json(text: str | None) -> dict[Any, Any] | None:
    """What pydantic's include/exclude is given for the IR text (None: not given)."""
    if text is None:
        return None
    return _mapping(json.loads(text))
