"""Training through the API on a real Celery worker process, on a real broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

# The imdb_subset fixture (about 2,000 reviews); 100 of train are carved out for validation.
IMPORT = {"val_size": 100, "seed": 0, "tokenizer": {"vocab_size": 5000, "max_length": 200}}
HP = {**SMALL_CNN, "batch_size": 32}


# Embedded mode (SQLite + the SQLAlchemy broker) and distributed mode (PostgreSQL + Redis).
MODES = [("sqlite", "embedded_worker"), ("postgres", "redis_worker")]


@pytest.mark.parametrize(("db_url", "worker_fixture"), MODES, indirect=["db_url"])
def test_train_two_epochs_through_the_api(client: TestClient, imdb_subset: Path, worker_fixture: str,
                                          request: pytest.FixtureRequest) -> None:
    worker: WorkerProcess = request.getfixturevalue(worker_fixture)
    pid = client.post("/api/projects", json={"name": "imdb"}).json()["id"]
    r = client.post(f"/api/projects/{pid}/datasets/imdb", json={"path": str(imdb_subset), **IMPORT})
    assert r.status_code == 202, r.text
    imported = wait_for_job(client, r.json()["id"], worker)
    assert imported["state"] == "SUCCESS", imported
    dataset_id = imported["dataset_id"]
    stats = client.get(f"/api/datasets/{dataset_id}").json()["stats"]
    counts = {split: c["total"] for split, c in stats["counts"].items()}
    assert counts["val"] == 100 and counts["train"] > 0 and counts["test"] > 0
    n = sum(counts.values())
    per_epoch = -(-counts["train"] // HP["batch_size"])

    bad = client.post(f"/api/projects/{pid}/versions", json={"hyperparameters": {"num_filters": 0}})
    assert bad.status_code == 422 and "num_filters" in bad.json()["detail"]
    body = {"dataset_id": dataset_id, "hyperparameters": HP, "seed": 3}
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
    expected = [(e, i) for e in (1, 2) for i in range(1, per_epoch + 1)]
    assert [(b["epoch"], b["batch"]) for b in batches] == expected
    assert [b["step"] for b in batches] == list(range(1, 2 * per_epoch + 1))
    assert sum(b["size"] for b in batches if b["epoch"] == 1) == counts["train"]

    epochs = client.get(f"/api/versions/{vid}/metrics/epochs").json()["items"]
    assert sorted((m["epoch"], m["split"], m["count"]) for m in epochs) == [
        (e, split, counts[split]) for e in (1, 2) for split in sorted(counts)]

    for epoch in (1, 2):
        rows = all_samples(client, vid, epoch)
        assert len(rows) == n and len({row["id"] for row in rows}) == n
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
    assert val["total"] == counts["val"]
    assert all(row["split"] == "val" and row["result"]["epoch"] == 2 for row in val["items"])
    liked = client.get(f"/api/versions/{vid}/samples", params={"split": "test", "min_score": 8}).json()
    assert liked["total"] > 0
    assert all(row["score"] >= 8 and row["label"] == 1 and row["key"].startswith("test/pos/")
               for row in liked["items"])
    top = val["items"][0]
    detail = client.get(f"/api/samples/{top['id']}", params={"version_id": vid}).json()
    assert [res["epoch"] for res in detail["results"]] == [1, 2]
    assert detail["results"][1]["loss"] == pytest.approx(top["result"]["loss"])
    assert client.get(f"/api/versions/{vid}/samples", params={"epoch": 3}).status_code == 404
    # Asking for no more epochs than are done is a conflict, not a silent no-op.
    more = client.post(f"/api/versions/{vid}/train", json={"epochs": 2})
    assert more.status_code == 409


def all_samples(client: TestClient, version_id: int, epoch: int, page: int = 1000) -> list[dict[str, Any]]:
    """Every sample of an epoch, page by page in the default (loss-descending) order."""
    rows: list[dict[str, Any]] = []
    while True:
        r = client.get(f"/api/versions/{version_id}/samples",
                       params={"epoch": epoch, "offset": len(rows), "limit": page}).json()
        rows += r["items"]
        if len(rows) >= r["total"] or not r["items"]:
            return rows
