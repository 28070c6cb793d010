"""The app as an ASGI 3 application (`await app(scope, receive, send)`).

The same engine serves both ways: under the native server, the runtime's request object
reaches `Executor.handle`; under an ASGI server (uvicorn, hypercorn, granian,
`httpx.ASGITransport`), `astraapi.asgi.app` reads the request from `receive`, matches it with the
same route trie, and hands the executor an `astraapi.asgi.request.ASGIRequest`, which implements
the native request's interface (docs/internals.md, "The handler contract", "Streamed answers")
on top of `send`. Lifespan scopes: `astraapi.asgi.lifespan`. Scope helpers: `astraapi.asgi.scope`.

Nothing here is imported by `import astraapi` or on the native server's path.
"""
