"""TrustedHostMiddleware and HTTPSRedirectMiddleware apps (tests/middleware/test_hosts.py)."""

from astraapi import FastAPI, WebSocket
from astraapi.middleware.cors import CORSMiddleware
from astraapi.middleware.httpsredirect import HTTPSRedirectMiddleware
from astraapi.middleware.trustedhost import TrustedHostMiddleware


def routes(app: FastAPI) -> FastAPI:
    @app.get("/items")
    async def items():
        return {"items": [1]}

    @app.get("/café")
    async def cafe():
        return {"café": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.close()

    return app


trusted = routes(FastAPI())
trusted.add_middleware(TrustedHostMiddleware, allowed_hosts=["www.example.com", "*.api.test", "127.0.0.1"])
trusted.add_middleware(CORSMiddleware, allow_origins=["https://a.example"])  # outside: its 400 gets CORS

no_www = routes(FastAPI())
no_www.add_middleware(TrustedHostMiddleware, allowed_hosts=["www.example.com"], www_redirect=False)

https = routes(FastAPI())
https.add_middleware(CORSMiddleware, allow_origins=["https://a.example"])  # inside: the 307 has none
https.add_middleware(HTTPSRedirectMiddleware)
