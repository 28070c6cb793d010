"""ASGI, both ways.

The app as an ASGI 3 application (`await app(scope, receive, send)`): under an ASGI server (uvicorn,
hypercorn, granian, `httpx.ASGITransport`), `astraapi.asgi.app` reads the request from `receive`,
matches it with the same route trie, and hands the executor an `astraapi.asgi.request.ASGIRequest`,
which implements the native request's interface (docs/internals.md, "The handler contract",
"Streamed answers") on top of `send`. Lifespan scopes: `astraapi.asgi.lifespan`.

ASGI on the native server: the scope a native request gives (scope.py) and the bridge that runs pure
ASGI middleware and mounted ASGI applications on the engine's handler contract (bridge.py).

Nothing here is imported by `import astraapi` or on the native server's path of an app without
Python middleware.
"""
