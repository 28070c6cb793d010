"""workers=N: a master forks N workers sharing the port; a killed worker is replaced;
SIGTERM stops every process (checked by PID)."""

import os
import signal
import time
from pathlib import Path

import httpx

from support.paths import APPS_DIR
from support.servers import wait_until


def children_of(pid: int) -> set[int]:
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(child) for child in text)
    return children


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_workers_share_the_port_restart_and_stop(start_server):
    server = start_server("hello:app", "compiled", cwd=APPS_DIR, workers=2)
    master = server.process.pid
    assert wait_until(lambda: len(children_of(master)) == 2)
    workers = children_of(master)
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get("/").json() == {"message": "Hello World"}

    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: len(children_of(master)) == 2 and victim not in children_of(master))
    replaced = children_of(master)
    assert wait_until(lambda: _answers(server.base_url), timeout=10)
    for _ in range(20):  # new connections spread over both workers; all must answer
        assert httpx.get(f"{server.base_url}/").status_code == 200

    os.kill(master, signal.SIGTERM)
    assert server.process.wait(10) == 0
    assert wait_until(lambda: not any(alive(pid) for pid in replaced | {master}), timeout=10)


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.1)
        return False
