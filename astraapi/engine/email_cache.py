"""Response validation of `EmailStr` fields without running email-validator again for an address seen before.

FastAPI validates every value an endpoint returns with the response model, and pydantic's `EmailStr`
runs `email_validator.validate_email` for each address (about 40 µs here: most of the time a list of
20 models with an e-mail field takes to validate). pydantic's step (`pydantic.networks.validate_email`,
which `EmailStr` looks up at each call) is a function of the address alone, email-validator's
module-level settings aside, so when the engine plans a route whose response type has an `EmailStr`
field it puts a table in front of it (`install`, once per process): an address it validated before
gives the same `(name, address)` again; anything else (a new address, an invalid one: pydantic's own
error) runs pydantic's step. The table holds at most LIMIT addresses and starts again empty when full.

What this changes, on purpose (docs/compat-differences.md): the step is replaced in `pydantic.networks`,
so `EmailStr` validation elsewhere in the serving process uses the table too (same results), and
email-validator settings changed while serving do not apply to addresses already in the table.
Apps without `EmailStr` in a response model are untouched.
"""

from __future__ import annotations

import sys
from typing import Any

LIMIT = 8192  # addresses kept
_INSTALLED_ATTR = "__astraapi_email_table__"


def _has_email_step(schema: Any) -> bool:
    """Whether a pydantic core schema validates an `EmailStr` somewhere (nested models included)."""
    networks = sys.modules.get("pydantic.networks")
    if networks is None:
        return False
    target = networks.EmailStr._validate.__func__
    stack = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if node.get("type") == "function-after":
                info = node.get("function")
                function = info.get("function") if isinstance(info, dict) else None
                if getattr(function, "__func__", None) is target:
                    return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def table_step(original: Any) -> Any:
    """`original` (pydantic's `validate_email`: str -> (name, normalized address), or raises) with the table
    in front (only exact `str` addresses are kept; errors are never kept)."""
    known: dict[str, tuple[str, str]] = {}

    def validate_email(value: Any) -> Any:
        if type(value) is str:
            hit = known.get(value)
            if hit is not None:
                return hit
            result = original(value)
            if len(known) >= LIMIT:
                known.clear()
            known[value] = result
            return result
        return original(value)

    validate_email.__doc__ = original.__doc__
    validate_email.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(validate_email, _INSTALLED_ATTR, known)
    return validate_email


def install(adapter: Any) -> bool:
    """Put the table in front of pydantic's step when `adapter`'s type validates an `EmailStr`.
    True when the table is in place (now or before)."""
    networks = sys.modules.get("pydantic.networks")
    if adapter is None or networks is None:
        return False
    current = getattr(networks, "validate_email", None)
    if current is None:
        return False
    if hasattr(current, _INSTALLED_ATTR):
        return True
    try:
        schema = adapter.core_schema
    except AttributeError:  # an adapter pydantic could not build: nothing validates through it
        return False
    if not _has_email_step(schema):
        return False
    networks.validate_email = table_step(current)
    return True
