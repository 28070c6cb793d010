"""Invariant 1: dynamic and compiled mode give byte-identical responses (Date aside)
for every route of the example app."""

import httpx

from support.items_script import STEPS, replay


def test_every_route_identical_in_both_modes(start_server, tmp_path):
    results = {}
    for mode in ("dynamic", "compiled"):
        server = start_server("examples.items_api:app", mode, env={"ITEMS_DB": str(tmp_path / f"{mode}.db")})
        with httpx.Client(base_url=server.base_url) as client:
            results[mode] = replay(client)
    covered = {path.split("?")[0] for (_, path), *_ in results["dynamic"]}
    assert {"/", "/items", "/items/1", "/stats"} <= covered
    for dynamic, compiled in zip(results["dynamic"], results["compiled"]):
        assert dynamic == compiled
    assert len(results["dynamic"]) == len(STEPS)
