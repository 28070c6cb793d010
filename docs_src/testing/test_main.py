from astraapi.testclient import TestClient

from .main import app

client = TestClient(app)


def test_read_item():
    response = client.get("/items/42")
    assert response.status_code == 200
    assert response.json() == {"item_id": 42}


def test_read_item_validation():
    response = client.get("/items/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]
