"""Training through the API on a real Celery worker process, on a real broker."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.artifacts import get_store
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

N = 400  # 240 train (15 batches of 16), 80 val, 80 test
BATCHES = 15


# Embedded mode (SQLite + the SQLAlchemy broker) and distributed mode (PostgreSQL + Redis).
MODES = [("sqlite", "embedded_worker"), ("postgres", "redis_worker")]


@pytest.mark.parametrize(("db_url", "worker_fixture"), MODES, indirect=["db_url"])
def test_train_two_epochs_through_the_api(client: TestClient, session_factory: sessionmaker[Session],
                                          worker_fixture: str, request: pytest.FixtureRequest) -> None:
    worker: WorkerProcess = request.getfixturevalue(worker_fixture)
    pid = client.post("/api/projects", json={"name": "imdb"}).json()["id"]
    with session_factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=N, vocab_size=300, max_length=64)

    bad = client.post(f"/api/projects/{pid}/versions", json={"hyperparameters": {"num_filters": 0}})
    assert bad.status_code == 422 and "num_filters" in bad.json()["detail"]
    body = {"dataset_id": dataset.id, "hyperparameters": SMALL_CNN, "seed": 3}
    r = client.post(f"/api/projects/{pid}/versions", json=body)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert client.post("/api/versions/9999/train", json={"epochs": 2}).status_code == 404

    r = client.post(f"/api/versions/{vid}/train", json={"epochs": 2})
    assert r.status_code == 202, r.text
    job = r.json()
    again = client.post(f"/api/versions/{vid}/train", json={"epochs": 3})
    assert again.status_code == 409 and "already training" in again.json()["detail"]

    job = wait_for_job(client, job["id"], worker)
    assert job["state"] == "SUCCESS", job
    version = client.get(f"/api/versions/{vid}").json()
    assert (version["status"], version["epochs_done"], version["device"]) == ("trained", 2, "cpu")
    assert client.get(f"/api/versions/{vid}/graph").json()["graph"]["architecture"] == "cnn"

    batches = client.get(f"/api/versions/{vid}/metrics/batches").json()["items"]
    expected = [(e, i) for e in (1, 2) for i in range(1, BATCHES + 1)]
    assert [(b["epoch"], b["batch"]) for b in batches] == expected
    assert [b["step"] for b in batches] == list(range(1, 2 * BATCHES + 1))
    assert sum(b["size"] for b in batches if b["epoch"] == 1) == 240

    epochs = client.get(f"/api/versions/{vid}/metrics/epochs").json()["items"]
    assert sorted((m["epoch"], m["split"], m["count"]) for m in epochs) == [
        (e, split, c) for e in (1, 2) for split, c in (("test", 80), ("train", 240), ("val", 80))]

    for epoch in (1, 2):
        page = client.get(f"/api/versions/{vid}/samples", params={"epoch": epoch, "limit": 1000}).json()
        rows = page["items"]
        assert page["total"] == N and len(rows) == N
        losses = [row["result"]["loss"] for row in rows]
        assert losses == sorted(losses, reverse=True), "samples are not loss-descending"
        for m in (m for m in epochs if m["epoch"] == epoch):
            split_rows = [row for row in rows if row["split"] == m["split"]]
            mean = sum(row["result"]["loss"] for row in split_rows) / len(split_rows)
            accuracy = sum(row["result"]["correct"] for row in split_rows) / len(split_rows)
            assert mean == pytest.approx(m["loss"], rel=1e-4)
            assert accuracy == pytest.approx(m["accuracy"])
    # Default: the latest epoch, filtered by split, and the top sample's detail carries both epochs.
    val = client.get(f"/api/versions/{vid}/samples", params={"split": "val", "limit": 5}).json()
    assert val["total"] == 80
    assert all(row["split"] == "val" and row["result"]["epoch"] == 2 for row in val["items"])
    top = val["items"][0]
    detail = client.get(f"/api/samples/{top['id']}", params={"version_id": vid}).json()
    assert [res["epoch"] for res in detail["results"]] == [1, 2]
    assert detail["results"][1]["loss"] == pytest.approx(top["result"]["loss"])
    assert client.get(f"/api/versions/{vid}/samples", params={"epoch": 3}).status_code == 404
    # Asking for no more epochs than are done is a conflict, not a silent no-op.
    more = client.post(f"/api/versions/{vid}/train", json={"epochs": 2})
    assert more.status_code == 409
