from __future__ import annotations

from fastapi.testclient import TestClient


def test_project_crud_and_errors(client: TestClient) -> None:
    r = client.post("/api/projects", json={"name": "imdb", "description": "walkthrough"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert client.post("/api/projects", json={"name": "imdb"}).status_code == 409
    assert client.get(f"/api/projects/{pid}").json()["name"] == "imdb"
    r = client.patch(f"/api/projects/{pid}", json={"ui_state": {"dashlets": ["loss"]}})
    assert r.json()["ui_state"] == {"dashlets": ["loss"]}
    assert [p["id"] for p in client.get("/api/projects").json()] == [pid]
    missing = client.get("/api/projects/999")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    bad = client.post("/api/projects", json={"name": ""})
    assert bad.status_code == 422 and "name" in bad.json()["detail"]
    assert client.delete(f"/api/projects/{pid}").status_code == 204
    assert client.get(f"/api/projects/{pid}").status_code == 404


def test_api_never_imports_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; import backend.main; import backend.cli.main; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
