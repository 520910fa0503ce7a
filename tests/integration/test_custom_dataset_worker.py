"""A 3-class custom dataset end to end on a real worker: upload a zip of CSVs, import, train one epoch,
build the map, and read per-sample results, metrics and points back, all with three classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from tests.support.custom_data import write_csv_trio, zip_folder
from tests.support.imports import imported_on_worker
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

FAST_MAP = {"n_epochs": 100, "trust_sample": 300}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_three_classes_train_one_epoch_on_a_worker(client: TestClient, tmp_path: Path,
                                                    embedded_worker: WorkerProcess) -> None:
    archive = zip_folder(write_csv_trio(tmp_path / "news", per_class=60), tmp_path / "news.zip")
    pid = client.post("/api/projects", json={"name": "news"}).json()["id"]
    dataset = imported_on_worker(client, pid, archive, embedded_worker, name="news")
    assert dataset["classes"] == ["politics", "science", "sports"]
    n = dataset["num_samples"]
    assert n == 180 + 45 + 45

    r = client.post(f"/api/projects/{pid}/versions",
                    json={"dataset_id": dataset["id"], "hyperparameters": SMALL_CNN, "seed": 0})
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert client.put(f"/api/versions/{vid}/map-config", json=FAST_MAP).status_code == 200
    train = client.post(f"/api/versions/{vid}/train", json={"epochs": 1})
    assert train.status_code == 202, train.text
    job = wait_for_job(client, train.json()["id"], embedded_worker)
    assert job["state"] == "SUCCESS", f"{job}\n{embedded_worker.log()}"

    rows = client.get(f"/api/versions/{vid}/samples", params={"limit": 1000}).json()
    assert rows["total"] == n
    predictions = {row["result"]["prediction"] for row in rows["items"]}
    assert predictions <= {0, 1, 2}
    assert {row["label"] for row in rows["items"]} == {0, 1, 2}
    assert all(set(row["meta"]) == {"length", "source"} for row in rows["items"])
    epochs = client.get(f"/api/versions/{vid}/metrics/epochs").json()["items"]
    assert sorted((m["split"], m["count"]) for m in epochs) == [("test", 45), ("train", 180), ("val", 45)]
    assert all(0 <= m["accuracy"] <= 1 and m["loss"] > 0 for m in epochs)

    status = client.get(f"/api/versions/{vid}/maps/1").json()
    assert status["job"] is not None, status
    assert wait_for_job(client, status["job"]["id"], embedded_worker)["state"] == "SUCCESS"
    table = pa.ipc.open_stream(client.get(f"/api/versions/{vid}/maps/1/points").content).read_all()
    assert table.num_rows == n
    assert set(table.column("prediction").to_pylist()) <= {0, 1, 2}
    length = table.column("meta:length").to_numpy()
    assert np.isfinite(length).all() and length.min() >= 4
