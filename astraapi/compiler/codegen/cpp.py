"""C++ spelling helpers: string literals and identifiers."""

from __future__ import annotations

import hashlib
import re


def string_literal(text: str) -> str:
    """A C++ string literal holding the UTF-8 bytes of `text` (octal escapes never run on)."""
    out = ['"']
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F and char != "?":  # '?' would risk trigraph-like sequences
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def identifier(prefix: str, key: str) -> str:
    """A readable, unique C identifier for `key` (e.g. a model's module.QualName)."""
    tail = re.sub(r"[^A-Za-z0-9_]", "_", key.rsplit(".", 1)[-1])[:40]
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{prefix}{tail}_{digest}"


def comment_text(text: str) -> str:
    """Text safe inside a /* */ comment."""
    return text.replace("*/", "* /").replace("\n", " ")
