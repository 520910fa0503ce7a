from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.services.dataset_rows import dataset_rows, rows_path
from backend.core.artifacts.keys import checkpoint_key, dataset_prefix, map_prefix, points_key, version_prefix
from backend.core.artifacts.store import LocalArtifactStore
from backend.core.db.models import Dataset
from backend.core.settings import get_settings
from tests.support.versions import version_with_results


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


def test_deleting_a_project_removes_its_files_and_only_its(client: TestClient,
                                                            session_factory: sessionmaker[Session]) -> None:
    store = LocalArtifactStore(get_settings().artifacts)
    kept_version, _ = version_with_results(session_factory, with_metrics=True, n=40)
    gone_version, _ = version_with_results(session_factory, with_metrics=True, n=40, name="gone")
    files = {}
    for vid in (kept_version, gone_version):
        version = client.get(f"/api/versions/{vid}").json()
        store.put_bytes(checkpoint_key(vid, 1), b"weights")  # what training and the map would have left
        store.put_bytes(points_key(map_prefix(vid, 2)), b"points")
        assert client.get(f"/api/versions/{vid}/samples").status_code == 200  # starts the rows file
        dataset_rows.wait()
        with session_factory() as s:
            dataset = s.get(Dataset, version["dataset_id"])
            assert dataset is not None
            rows = rows_path(s, dataset)
        assert rows.is_file() and store.exists(dataset_prefix(version["dataset_id"]))
        files[vid] = (version["project_id"], version["dataset_id"], rows)

    project, dataset, rows = files[gone_version]
    assert client.delete(f"/api/projects/{project}").status_code == 204
    assert not store.exists(dataset_prefix(dataset)) and not store.exists(version_prefix(gone_version))
    assert not rows.exists() and not rows.with_suffix(".lock").exists()

    _, kept_dataset, kept_rows = files[kept_version]
    assert store.exists(dataset_prefix(kept_dataset)) and store.exists(checkpoint_key(kept_version, 1))
    assert kept_rows.is_file()
    assert client.get(f"/api/versions/{kept_version}/samples").json()["total"] == 40
