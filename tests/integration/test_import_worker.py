"""IMDB import through the API and a REAL Celery worker process, on each broker.

The embedded broker (kombu's SQLAlchemy transport) runs with SQLite, Redis with PostgreSQL: the two
set-ups a user actually deploys, without paying for all four combinations.
"""

from __future__ import annotations

import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import source_prefix
from tests.support.imdb_subset import copy_subset
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

TIMEOUT_S = 120.0
IMPORT = {"val_size": 100, "seed": 0, "tokenizer": {"vocab_size": 5000, "max_length": 200}}


def wait_for_job(client: TestClient, job_id: int, worker: WorkerProcess) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("SUCCESS", "FAILURE"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['state']} after {TIMEOUT_S}s; worker log:\n{worker.log()}")


def import_and_check(client: TestClient, worker: WorkerProcess, path: Path) -> None:
    per = len(list((path / "test" / "pos").glob("*.txt")))  # the fixture's reviews per (split, class)
    project = client.post("/api/projects", json={"name": "imdb"}).json()
    r = client.post(f"/api/projects/{project['id']}/datasets/imdb", json={"path": str(path), **IMPORT})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "import" and job["state"] == "PENDING" and job["celery_task_id"]

    job = wait_for_job(client, job["id"], worker)
    assert job["state"] == "SUCCESS", f"{job['error']}\n{worker.log()}"
    assert job["progress"] == 1.0 and job["message"] == "imported"
    assert job["result"]["num_samples"] == 4 * per
    dataset = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "ready" and dataset["error"] is None and dataset["num_samples"] == 4 * per
    assert dataset["stats"]["counts"] == {
        "train": {"neg": per - 50, "pos": per - 50, "total": 2 * per - 100},
        "val": {"neg": 50, "pos": 50, "total": 100},
        "test": {"neg": per, "pos": per, "total": 2 * per},
    }
    assert dataset["stats"]["vocab_size"] == 5000
    assert [d["id"] for d in client.get(f"/api/projects/{project['id']}/datasets").json()] == [dataset["id"]]


def failing_import_is_recorded(client: TestClient, worker: WorkerProcess, path: Path) -> None:
    """A truncated archive passes the API's quick check, then fails on the worker with a message."""
    project = client.post("/api/projects", json={"name": "broken"}).json()
    r = client.post(f"/api/projects/{project['id']}/datasets/imdb", json={"path": str(path), **IMPORT})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"], worker)
    assert job["state"] == "FAILURE" and "is not a readable .tar.gz archive" in job["error"]
    dataset = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "failed" and "is not a readable .tar.gz archive" in dataset["error"]
    assert dataset["num_samples"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_import_on_embedded_broker(client: TestClient, embedded_worker: WorkerProcess, imdb_subset: Path,
                                   imdb_archive: str, data_dir: Path) -> None:
    import_and_check(client, embedded_worker, imdb_subset)
    cut = data_dir / "imports" / "cut.tar.gz"  # the import root every server has
    cut.write_bytes(Path(imdb_archive).read_bytes()[:300_000])
    failing_import_is_recorded(client, embedded_worker, cut)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_import_on_redis(client: TestClient, redis_worker: WorkerProcess, imdb_subset: Path, tmp_path: Path) -> None:
    import_and_check(client, redis_worker, imdb_subset)
    # An uploaded archive: staged in the artifact store by the API, read there by the worker, then removed.
    archive = tmp_path / "small.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(copy_subset(imdb_subset, tmp_path, per_class=12), "aclImdb")
    project = client.post("/api/projects", json={"name": "uploaded"}).json()
    r = client.post(f"/api/projects/{project['id']}/datasets/imdb/upload",
                    files={"file": (archive.name, archive.read_bytes())},
                    data={"subset_per_class": "10", "val_size": "4", "vocab_size": "500", "max_length": "64"})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"], redis_worker)
    assert job["state"] == "SUCCESS", f"{job['error']}\n{redis_worker.log()}"
    assert job["result"]["num_samples"] == 40 and job["result"]["counts"]["val"]["total"] == 4
    assert not get_store().exists(source_prefix(job["dataset_id"]))
