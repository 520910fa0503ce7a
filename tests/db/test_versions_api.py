"""Versions, training requests, metrics and samples through the API: status codes and messages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from tests.support.datasets import insert_synthetic_dataset
from tests.support.versions import SMALL_CNN


def test_version_and_train_errors(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid = client.post("/api/projects", json={"name": "p"}).json()["id"]
    # No dataset yet: a version has nothing to train on.
    assert client.post(f"/api/projects/{pid}/versions", json={}).status_code == 409
    with session_factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=40, vocab_size=100, max_length=32)

    for hp, field in (({"num_filters": 0}, "num_filters"), ({"kernel_sizes": [0]}, "kernel_sizes"),
                      ({"dropout": 1.0}, "dropout"), ({"nonsense": 1}, "nonsense"),
                      ({"optimizer": "rmsprop"}, "optimizer")):
        r = client.post(f"/api/projects/{pid}/versions", json={"hyperparameters": hp})
        assert r.status_code == 422 and field in r.json()["detail"], (hp, r.text)
    r = client.post(f"/api/projects/{pid}/versions", json={"architecture": "transformer"})
    assert r.status_code == 422 and "unknown architecture" in r.json()["detail"]
    assert client.post("/api/projects/999/versions", json={}).status_code == 404
    assert client.post(f"/api/projects/{pid}/versions", json={"dataset_id": 999}).status_code == 404

    r = client.post(f"/api/projects/{pid}/versions", json={"hyperparameters": SMALL_CNN, "seed": 7})
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["dataset_id"] == dataset.id and version["status"] == "created"
    assert version["hyperparameters"]["bucket_chunk_batches"] == 4  # defaults filled in, given values kept
    assert version["hyperparameters"]["eval_batch_size"] == 512
    vid = version["id"]
    assert [v["id"] for v in client.get(f"/api/projects/{pid}/versions").json()] == [vid]

    for path in (f"/api/versions/{vid + 1}", f"/api/versions/{vid + 1}/metrics/batches",
                 f"/api/versions/{vid + 1}/metrics/epochs", f"/api/versions/{vid + 1}/samples"):
        r = client.get(path)
        assert r.status_code == 404 and "not found" in r.json()["detail"], path
    assert client.post(f"/api/versions/{vid + 1}/train", json={"epochs": 1}).status_code == 404
    # Nothing evaluated yet.
    assert client.get(f"/api/versions/{vid}/samples").status_code == 409
    assert client.get(f"/api/versions/{vid}/metrics/epochs").json()["items"] == []

    for bad in ({"epochs": 0}, {"epochs": "many"}, {"epochs": 10_000}):
        r = client.post(f"/api/versions/{vid}/train", json=bad)
        assert r.status_code == 422 and "epochs" in r.json()["detail"], bad
    r = client.post(f"/api/versions/{vid}/train", json={"epochs": 3})
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["state"], job["version_id"]) == ("train", "PENDING", vid)
    assert job["params"] == {"epochs": 3}
    assert client.get(f"/api/versions/{vid}").json()["status"] == "queued"
    again = client.post(f"/api/versions/{vid}/train", json={"epochs": 5})
    assert again.status_code == 409
    assert again.json()["job_id"] == job["id"] and "already training" in again.json()["detail"]
    assert [j["id"] for j in client.get("/api/jobs", params={"version_id": vid}).json()] == [job["id"]]
