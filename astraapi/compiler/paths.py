"""Where the installed package keeps what the compiler needs: templates and runtime headers.

An installed wheel has them inside the package (astraapi/templates, astraapi/include); a
source checkout (editable install, tests) has them at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_REPO = _PACKAGE.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "AstraAPI's compiler files are missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "): reinstall the package"
    )


def templates_dir() -> Path:
    return _first_existing(_PACKAGE / "templates", _REPO / "templates")


def include_dir() -> Path:
    """The folder holding astraapi/abi.h and the other public runtime headers."""
    return _first_existing(_PACKAGE / "include", _REPO / "runtime_cpp" / "include")
