"""The corpus that fixes which libdeflate level stands for each zlib compresslevel.

Bodies a web app gzips, all made when asked (nothing copied into the repository): JSON (the bench
app's answers, its OpenAPI document, generated records), HTML (the docs pages, a generated table,
pydoc's page for a standard module) and text (the running Python's documentation and source of
standard modules, which do not change with this repository). Each is taken whole and as its first
1,000 / 4,096 / 16,384 bytes: small bodies compress differently.
`bench/gzip_levels.py` measures sizes and costs on it; tests/runtime/test_gzip_levels.py checks
that the chosen levels compress it at least as small as zlib does.
"""

from __future__ import annotations

import html
import inspect
import math
import pydoc
import random
import re
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
PREFIXES = (1000, 4096, 16384)


def _json() -> dict[str, bytes]:
    from bench.apps.models import CATALOG, REPORT

    rng = random.Random(5)
    words = ["alpha", "beta", "gamma", "delta", "omega", "north", "south", "paris", "tokyo", "lima"]
    users = [{
        "id": i,
        "email": f"{rng.choice(words)}.{rng.choice(words)}{rng.randrange(1000)}@example.com",
        "name": f"{rng.choice(words).title()} {rng.choice(words).title()}",
        "balance": round(rng.uniform(-500, 50_000), 2),
        "created": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:"
                   f"{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
        "active": rng.random() < 0.8,
        "tags": rng.sample(words, 3),
    } for i in range(400)]
    return {
        "report.json": orjson.dumps(REPORT),
        "catalog.json": orjson.dumps(CATALOG),
        "users.json": orjson.dumps(users),
        "openapi.json": orjson.dumps(_bench_app().openapi()),
    }


def _bench_app():
    from bench.apps.astra_app import app

    return app


def _html() -> dict[str, bytes]:
    import json.decoder

    from astraapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from bench.apps.models import REPORT

    rows = "\n".join(
        f"<tr><td>{r['id']}</td><td>{html.escape(r['name'])}</td><td class=\"{r['status']}\">{r['status']}</td>"
        f"<td>{r['score']}</td></tr>" for r in REPORT["rows"])
    table = (f"<!DOCTYPE html>\n<html><head><title>Report</title></head><body>\n<table>\n"
             f"<tr><th>id</th><th>name</th><th>status</th><th>score</th></tr>\n{rows}\n</table>\n</body></html>\n")
    doc = pydoc.HTMLDoc()
    return {
        "swagger.html": bytes(get_swagger_ui_html(openapi_url="/openapi.json", title="corpus").body),
        "redoc.html": bytes(get_redoc_html(openapi_url="/openapi.json", title="corpus").body),
        "table.html": table.encode(),
        "pydoc.html": _fixed(doc.page("json.decoder", doc.docmodule(json.decoder))),
    }


def _text() -> dict[str, bytes]:
    """Prose and code that do not change with this repository: the running Python's own."""
    import email.message
    import json.decoder

    return {
        "email-message.txt": _fixed(pydoc.plain(pydoc.render_doc(email.message, renderer=pydoc.plaintext))),
        "json-decoder.py": inspect.getsource(json.decoder).encode(),
        "email-message.py": inspect.getsource(email.message).encode(),
    }


def _fixed(page: str) -> bytes:
    """pydoc's output without the object addresses it shows for some defaults (they change per run)."""
    return re.sub(r" at 0x[0-9a-f]+", " at 0x0", page).encode()


def corpus() -> dict[str, bytes]:
    """name -> body; prefixes are named `name[:n]`."""
    out: dict[str, bytes] = {}
    for name, data in {**_json(), **_html(), **_text()}.items():
        out[name] = data
        for n in PREFIXES:
            if len(data) > n:
                out[f"{name}[:{n}]"] = data[:n]
    return out


def kind(name: str) -> str:
    """json, html or text: the corpus' three kinds of body."""
    return "json" if ".json" in name else "html" if ".html" in name else "text"


def size_ratios(candidate: dict[str, int], reference: dict[str, int]) -> dict[str, float]:
    """candidate's compressed sizes over reference's (name -> bytes, the same names): in total, per
    kind of body, and the geometric mean of the per-body ratios (each body, small ones too, weighs
    the same). A level is "at least as small" when every ratio is at most 1. Single bodies are not
    held to it: on a 1 KB body even libdeflate's best level can be a few bytes larger than zlib's."""
    ratios = {"total": sum(candidate.values()) / sum(reference.values())}
    for k in ("json", "html", "text"):
        names = [n for n in reference if kind(n) == k]
        ratios[k] = sum(candidate[n] for n in names) / sum(reference[n] for n in names)
    ratios["geomean"] = math.exp(sum(math.log(candidate[n] / reference[n]) for n in reference) / len(reference))
    return ratios
