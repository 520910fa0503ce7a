"""End to end on a real worker: import a seeded subset of the shared IMDB archive through the API, train
through the API, and read the map that training queued itself (POST_EPOCH_JOB_KINDS) through the API."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from tests.support.imdb_subset import copy_subset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

IMPORT = {"val_size": 0.2, "seed": 0, "tokenizer": {"vocab_size": 4000, "max_length": 200}}
FAST_MAP = {"n_epochs": 100, "trust_sample": 500}


def plant_duplicate(root: Path) -> tuple[str, str]:
    """Copy a train review into test with one word changed (leakage); returns (original key, copy key)."""
    src = sorted((root / "train" / "pos").glob("*.txt"))[0]
    words = src.read_text(encoding="utf-8").split()
    words[len(words) // 2] = "remarkably"
    taken = {int(f.stem.split("_")[0]) for f in (root / "test" / "pos").glob("*.txt")}
    review_id = next(i for i in range(12500) if i not in taken)  # a line of urls_pos.txt, so a movie id
    score = src.stem.split("_")[1]
    (root / "test" / "pos" / f"{review_id}_{score}.txt").write_text(" ".join(words), encoding="utf-8")
    return f"train/pos/{src.stem}", f"test/pos/{review_id}_{score}"


def test_training_maps_every_epoch_on_a_worker(
    client: TestClient, imdb_subset: Path, tmp_path: Path, embedded_worker: WorkerProcess
) -> None:
    root = copy_subset(imdb_subset, tmp_path, per_class=150)  # 600 reviews
    original, copy = plant_duplicate(root)
    pid = client.post("/api/projects", json={"name": "maps"}).json()["id"]
    r = client.post(f"/api/projects/{pid}/datasets/imdb", json={"path": str(root), **IMPORT})
    assert r.status_code == 202, r.text
    imported = wait_for_job(client, r.json()["id"], embedded_worker)
    assert imported["state"] == "SUCCESS", imported
    r = client.post(f"/api/projects/{pid}/versions",
                    json={"dataset_id": imported["dataset_id"], "hyperparameters": SMALL_CNN, "seed": 1})
    vid = r.json()["id"]
    assert client.put(f"/api/versions/{vid}/map-config", json=FAST_MAP).status_code == 200
    train = client.post(f"/api/versions/{vid}/train", json={"epochs": 2})
    assert train.status_code == 202, train.text
    assert wait_for_job(client, train.json()["id"], embedded_worker)["state"] == "SUCCESS"

    # Training queued one map job per epoch; the worker runs them after the training job.
    for epoch in (1, 2):
        status = client.get(f"/api/versions/{vid}/maps/{epoch}").json()
        assert status["job"] is not None, status
        job = wait_for_job(client, status["job"]["id"], embedded_worker)
        assert job["state"] == "SUCCESS", job
    first, second = (client.get(f"/api/versions/{vid}/maps/{e}").json() for e in (1, 2))
    assert first["status"] == second["status"] == "done"
    assert (first["init"], second["init"]) == ("spectral", "previous")  # epoch 2 starts from epoch 1's layout
    assert first["num_points"] == 601

    table = pa.ipc.open_stream(client.get(f"/api/versions/{vid}/maps/2/points").content).read_all()
    assert table.num_rows == 601
    assert set(table.column("split").to_pylist()) == {"train", "val", "test"}
    samples = client.get(f"/api/versions/{vid}/samples", params={"limit": 1000}).json()["items"]
    by_key = {s["key"]: s["id"] for s in samples}
    assert len(by_key) == 601

    insights = client.get(f"/api/versions/{vid}/maps/2/insights").json()
    leak = [i for i in insights if i["kind"] == "duplicates_across_splits"]
    assert leak, insights
    assert any({by_key[original], by_key[copy]} <= set(g) for g in leak[0]["detail"]["groups"])
