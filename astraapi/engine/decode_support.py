"""Python constructors generated body decoders call (through the runtime's `resolve` and
`call1`) for values whose text form they have already checked.

`iso_datetime` gets `YYYY-MM-DDTHH:MM:SS[.f{1,6}]` with an optional `Z` or `+HH:MM`/`-HH:MM`
(astra_is_iso_datetime in runtime_cpp/include/astraapi/gen_support.h) and returns the datetime
pydantic returns for it: naive, or with pydantic-core's own `TzInfo` for the offset.
`iso_time` does the same for `HH:MM:SS[.f{1,6}]` with the same offsets (astra_is_iso_time), and
`seconds_timedelta` makes the timedelta pydantic makes from an integer number of seconds, and
`pattern_search` gives the search of a plain `Field(pattern=...)` (body_decoders._plain_pattern).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta

from pydantic_core import TzInfo


def iso_datetime(text: str) -> datetime:
    if text.endswith("Z"):
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=TzInfo(0))
    if len(text) >= 25 and text[-6] in "+-":
        seconds = int(text[-5:-3]) * 3600 + int(text[-2:]) * 60
        return datetime.fromisoformat(text[:-6]).replace(tzinfo=TzInfo(-seconds if text[-6] == "-" else seconds))
    return datetime.fromisoformat(text)


def iso_time(text: str) -> time:
    if text.endswith("Z"):
        return time.fromisoformat(text[:-1]).replace(tzinfo=TzInfo(0))
    if len(text) >= 14 and text[-6] in "+-":
        seconds = int(text[-5:-3]) * 3600 + int(text[-2:]) * 60
        return time.fromisoformat(text[:-6]).replace(tzinfo=TzInfo(-seconds if text[-6] == "-" else seconds))
    return time.fromisoformat(text)


def seconds_timedelta(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def pattern_search(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(pattern).search
