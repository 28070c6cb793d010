"""WebSocket keep-alive pings (uvicorn's --ws-ping-interval / --ws-ping-timeout): a ping every
interval, answered pongs keep the connection, a missing pong closes it with 1011. The server runs
in this process with short settings; the test waits for frames, it measures no time."""

from __future__ import annotations

import asyncio
import threading

import pytest

from astraapi import FastAPI, WebSocket, WebSocketDisconnect
from astraapi.server.config import ServerConfig
from astraapi.server.serve import prepare
from support.ws_raw import RawWS, frame

PING, PONG, CLOSE = 0x9, 0xA, 0x8


@pytest.fixture
def served():
    app = FastAPI()
    heard: list[int] = []

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as error:
            heard.append(error.code)

    from astraapi import _runtime

    config = ServerConfig(ws_ping_interval=0.1, ws_ping_timeout=0.1)
    target = prepare(app, mode="dynamic", host="127.0.0.1", port=0, config=config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder = {}

    def run():
        asyncio.set_event_loop(loop)
        server = _runtime.Server(target.handler, target.make_trie(), "127.0.0.1", 0, **config.server_kwargs())
        holder["server"] = server
        loop.add_reader(server.fileno(), server.poll)
        ready.set()
        loop.run_forever()
        loop.remove_reader(server.fileno())
        server.close()
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield holder["server"].port, heard
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_pings_answered_keep_the_connection_then_a_missing_pong_closes_it(served):
    port, heard = served
    with RawWS(port, "/ws", timeout=30) as ws:
        for _ in range(2):
            fin, opcode, payload = ws.read_frame()
            assert (fin, opcode, len(payload)) == (True, PING, 4)
            ws.send(frame(PONG, payload))
        fin, opcode, payload = ws.read_frame()
        assert opcode == PING  # not answered this time
        assert ws.read_close() == (1011, b"keepalive ping timeout")
        assert ws.at_eof()
    from support.servers import wait_until

    assert wait_until(lambda: heard == [1011], timeout=10)
