"""The app as an ASGI application, against FastAPI as one: every app of the example-app differential set
(tests/compat/test_example_apps.py) is driven through `httpx.ASGITransport` inside `asgi-lifespan`'s
LifespanManager, as AstraAPI and as FastAPI 0.165 (the same source with `astraapi` imports changed to
`fastapi`); every request must give the same status, headers and body bytes. Nothing is ignored: no server
adds `date` or `server` here. Differences on purpose are made equal by the set's own `normalise`."""

from __future__ import annotations

import asyncio
import warnings

import httpx
import pytest

from compat.test_example_apps import APPS, BASE_HEADERS, EXPIRES, _fastapi_source, _load, _requests, normalise
from support.paths import APPS_DIR

pytest.importorskip("fastapi")
asgi_lifespan = pytest.importorskip("asgi_lifespan")


async def _exchange(app, requests: list) -> list:
    results = []
    async with asgi_lifespan.LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for method, path, kwargs in requests:
                kwargs = dict(kwargs)
                if isinstance(kwargs.get("content"), list):  # a chunked body: pieces an async client can send
                    kwargs["content"] = _pieces(kwargs["content"])
                given = kwargs.pop("headers", {})
                headers = {**BASE_HEADERS, **given} if isinstance(given, dict) else [*BASE_HEADERS.items(), *given]
                cookies = kwargs.pop("cookies", None)
                if cookies:
                    headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
                response = await client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
                pairs = [(k.lower(), v) for k, v in response.headers.multi_items()]
                if ("content-encoding", "gzip") in pairs:  # libdeflate's bytes differ from zlib's
                    pairs = [(k, v) for k, v in pairs if k != "content-length"]
                pairs = [(k, EXPIRES.sub("expires=<time>", v) if k == "set-cookie" else v) for k, v in pairs]
                results.append(((method, path), response.status_code, pairs, response.content))
    return results


def _context_leak(entry):
    # compat_direct_app's /context reads a context variable the previous /context request set. Under
    # ASGITransport FastAPI runs the endpoint in the caller's own context (no task per request), so the
    # second request sees the first one's value; a real server, and AstraAPI in every case, start each
    # request from a copy of the server's context ("fresh"), as under uvicorn.
    (method, path), status, headers, body = entry
    if path == "/context":
        headers = [(k, v) for k, v in headers if k != "content-length"]
        body = b"<context>"
    return (method, path), status, headers, body


def _shared_state(entry):
    # asgi-lifespan's LifespanManager puts one `state` dict into every request's scope (uvicorn gives each
    # request a shallow copy, as the ASGI spec says). slowapi marks `request.state` once it checked a limit,
    # so under FastAPI the second request finds the first one's mark and is not limited; AstraAPI's requests
    # each start from a copy, as under uvicorn (and in the real-server run of this app: 429).
    (method, path), status, headers, body = entry
    if path == "/limited?again=1":
        return (method, path), "<state>", [], b"<state>"
    return entry


KNOWN_ASGI = {"compat_direct_app": _context_leak, "compat_ecosystem_app": _shared_state}


async def _pieces(pieces: list[bytes]):
    for piece in pieces:
        yield piece


@pytest.mark.parametrize("name", [*APPS, "asgi_app"])
def test_asgi_app_matches_fastapi(tmp_path, name):
    path = tmp_path / f"fa_asgi_{name}.py"
    path.write_text(_fastapi_source(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = _load(path, f"fa_asgi_{name}")
    ours = _load(APPS_DIR / f"{name}.py", f"ours_asgi_{name}")
    requests = ours.REQUESTS if name == "asgi_app" else _requests(name, ours)
    expected = asyncio.run(_exchange(reference.app, requests))
    got = asyncio.run(_exchange(ours.app, requests))
    assert len(got) == len(expected)
    known = KNOWN_ASGI.get(name, lambda entry: entry)
    for want, have in zip(normalise(name, [known(e) for e in expected]), normalise(name, [known(e) for e in got])):
        assert have == want, f"{name} differs from FastAPI at {want[0]}"
