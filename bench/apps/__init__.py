"""The benchmark's apps: one source per framework, all serving the same routes.

`astra_app.py` is the reference (FastAPI-style, importing from astraapi); the FastAPI twin is
generated from it by changing the import, so the two can never drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "astra_app.py"
TWIN = HERE / "fastapi_app.py"

_GENERATED = "# GENERATED from bench/apps/astra_app.py by bench.apps.generate_fastapi_twin: do not edit.\n"


def generate_fastapi_twin() -> Path:
    """Write fastapi_app.py: astra_app.py with `astraapi` imports replaced by `fastapi` ones
    (written only when its content changes)."""
    source = SOURCE.read_text()
    twin = re.sub(r"\bfrom astraapi\b", "from fastapi", source)
    twin = re.sub(r"\bimport astraapi\b", "import fastapi", twin)
    if "astraapi" in re.sub(r'""".*?"""|#.*', "", twin, flags=re.S):
        raise RuntimeError("astra_app.py refers to astraapi outside its imports; the twin would not be FastAPI")
    text = _GENERATED + twin
    if not TWIN.exists() or TWIN.read_text() != text:
        TWIN.write_text(text)
    return TWIN
