"""Compare responses: two AstraAPI modes with each other, or AstraAPI with FastAPI."""

from __future__ import annotations

IGNORED_HEADERS = {"date"}
# Headers a real server adds that FastAPI's in-process TestClient never has.
SERVER_ONLY_HEADERS = {"date", "server"}


def response_triple(response, ignore=IGNORED_HEADERS) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in ignore]
    return response.status_code, headers, response.content
