"""`x: Annotated[T, metadata] = Query()/Body()` is read as FastAPI reads it (the metadata of the Annotated left
out, a constraint or a Discriminator inside `Annotated[..., Query()]` kept), served in both modes. The document
side is tests/openapi (annotated_default_app, loaded from this app)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("mode", ["dynamic", "compiled"])
def test_metadata_beside_a_marker_default(start_server, mode):
    server = start_server("tests.apps.annotated_default_app:app", mode)
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get("/limited?q=1").json() == [1, 9]  # Gt(5) beside `= Query()`: not applied, as in FastAPI
        refused = client.get("/limited?q=1&r=2")
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "r"]
        assert client.post("/assigned", json={"pet_type": "dog", "barks": 1}).json() == {"pet_type": "dog", "barks": 1.0}
        # no discriminator: the union is tried member by member (a Cat with a dog's pet_type validates)
        assert client.post("/assigned", json={"pet_type": "dog", "meows": 1}).json() == {"pet_type": "dog", "meows": 1}
        assert client.post("/annotated", json={"pet_type": "dog", "meows": 1}).status_code == 422
