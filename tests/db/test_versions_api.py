"""Versions, training requests, metrics and samples through the API: status codes and messages."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import EpochMetric
from backend.core.epoch_selection import select_epoch
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


def test_version_shows_every_split_at_the_epoch_val_picks(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """Test peaks at epoch 3 and val at epoch 2: the version shows epoch 2's test, not the best test over
    epochs (which would be a figure chosen by looking at test)."""
    pid = client.post("/api/projects", json={"name": "p"}).json()["id"]
    with session_factory() as s:
        insert_synthetic_dataset(s, get_store(), pid, n=40, vocab_size=100, max_length=32)
    vid = client.post(f"/api/projects/{pid}/versions", json={"hyperparameters": SMALL_CNN}).json()["id"]
    assert client.get(f"/api/versions/{vid}").json()["selected"] is None
    per_epoch = {1: {"train": 0.70, "val": 0.60, "test": 0.61}, 2: {"train": 0.80, "val": 0.75, "test": 0.70},
                 3: {"train": 0.95, "val": 0.74, "test": 0.78}}
    with session_factory() as s:
        for epoch, splits in per_epoch.items():
            for split, acc in splits.items():
                s.add(EpochMetric(version_id=vid, epoch=epoch, split=split, loss=1 - acc, accuracy=acc, count=10))
        s.commit()
    for shown in (client.get(f"/api/versions/{vid}").json(), client.get(f"/api/projects/{pid}/versions").json()[0]):
        assert shown["selected"]["epoch"] == 2 and shown["selected"]["selected_by"] == "val_accuracy"
        assert shown["selected"]["accuracy"] == {"train": 0.80, "val": 0.75, "test": 0.70}
        assert "best" not in shown


def test_without_a_val_split_the_last_epoch_is_shown() -> None:
    rows = [(1, "train", 0.5, 0.7), (1, "test", 0.4, 0.9), (2, "train", 0.3, 0.8), (2, "test", 0.45, 0.85)]
    chosen = select_epoch(rows)
    assert chosen is not None and (chosen.epoch, chosen.selected_by) == (2, "last_epoch")
    assert chosen.accuracy == {"train": 0.8, "test": 0.85} and chosen.best_val_accuracy is None


def test_word_vectors_come_only_from_an_import_root(client: TestClient, session_factory: sessionmaker[Session],
                                                    data_dir: Path) -> None:
    """Any editor names `pretrained_vectors`, and the worker reads it: only a file under an import root will do
    (never the data folder's secret key, a device whose lines never end, or a file elsewhere)."""
    pid = client.post("/api/projects", json={"name": "p"}).json()["id"]
    with session_factory() as s:
        insert_synthetic_dataset(s, get_store(), pid, n=40, vocab_size=100, max_length=32)
    (data_dir / "secret_key").write_text("the 1 2\n")
    imports = data_dir / "imports"
    imports.mkdir(exist_ok=True)
    os.mkfifo(imports / "pipe.txt")
    (imports / "zero.txt").symlink_to("/dev/zero")
    for raw, why in ((str(data_dir / "secret_key"), "outside the allowed import roots"),
                     ("/etc/hostname", "outside the allowed import roots"),
                     ("/dev/zero", "outside the allowed import roots"),
                     (str(imports / "zero.txt"), "outside the allowed import roots"),
                     (str(imports / ".." / "secret_key"), "outside the allowed import roots"),
                     (str(imports / "pipe.txt"), "is not a file"),
                     (str(imports / "nope.txt"), "does not exist")):
        r = client.post(f"/api/projects/{pid}/versions",
                        json={"architecture": "lstm", "hyperparameters": {"pretrained_vectors": raw}})
        assert r.status_code == 422, (raw, r.text)
        assert r.json()["detail"].startswith("hyperparameters.pretrained_vectors: path") and why in r.json()["detail"]
    glove = imports / "glove.txt"
    glove.write_text("the " + " ".join(["0.5"] * 128) + "\n")
    r = client.post(f"/api/projects/{pid}/versions",
                    json={"architecture": "lstm", "hyperparameters": {"pretrained_vectors": str(glove)}})
    assert r.status_code == 201, r.text
