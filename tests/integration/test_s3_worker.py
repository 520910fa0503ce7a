"""Workers on other hosts share only the bucket: a real worker process trains and maps with its artifacts
in an S3 API (moto's server), and the API serves the checkpoint, the map's points and its neighbours
from there. The worker and the API have different local folders, so nothing passes between them on disk."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.s3 import S3ArtifactStore
from backend.core.db.models import Checkpoint
from tests.conftest import reset_caches
from tests.support.accounts import admin_token, bearer
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.s3 import S3Bucket
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

N = 240
FAST_MAP = {"n_epochs": 50, "trust_sample": 200}
PREFIX = "lensboard"


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_worker_on_another_host_shares_only_the_bucket(
    redis_env: dict[str, str], s3_bucket: S3Bucket, data_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session],
) -> None:
    # The API host: this process, its cache in its own data folder.
    monkeypatch.delenv("LENSBOARD_ARTIFACT_ROOT")
    for name, value in s3_bucket.env(PREFIX).items():
        monkeypatch.setenv(name, value)
    reset_caches()
    api_store = get_store()
    assert isinstance(api_store, S3ArtifactStore) and api_store.cache.root == data_dir / "artifact-cache"

    # The worker host: the same database, broker and bucket, and a data folder of its own.
    worker_dir = tmp_path / "worker-host"
    worker_env = {k: v for k, v in redis_env.items() if k != "LENSBOARD_ARTIFACT_ROOT"}
    worker_env.update(s3_bucket.env(PREFIX), LENSBOARD_DATA_DIR=str(worker_dir))
    worker = WorkerProcess(worker_env, data_dir / "worker.log")

    from backend.api.app import create_app

    with TestClient(create_app(session_factory), headers=bearer(admin_token(session_factory))) as client:
        pid = client.post("/api/projects", json={"name": "s3"}).json()["id"]
        with session_factory() as s:
            # Written by the API host: the worker can only find the tokens in the bucket.
            dataset = insert_synthetic_dataset(s, api_store, pid, n=N, vocab_size=300, max_length=64)
        r = client.post(f"/api/projects/{pid}/versions",
                        json={"dataset_id": dataset.id, "hyperparameters": SMALL_CNN, "seed": 2})
        vid = r.json()["id"]
        assert client.put(f"/api/versions/{vid}/map-config", json=FAST_MAP).status_code == 200
        worker.start()
        try:
            train = client.post(f"/api/versions/{vid}/train", json={"epochs": 1})
            assert train.status_code == 202, train.text
            assert wait_for_job(client, train.json()["id"], worker)["state"] == "SUCCESS"
            status = client.get(f"/api/versions/{vid}/maps/1").json()
            assert status["job"] is not None, status
            assert wait_for_job(client, status["job"]["id"], worker, timeout=400)["state"] == "SUCCESS"
        finally:
            worker.stop()

        with session_factory() as s:
            ckpt_key = s.scalars(select(Checkpoint.key).where(Checkpoint.version_id == vid)).one()
        keys = s3_bucket.keys()
        assert f"{PREFIX}/{ckpt_key}" in keys
        assert any(k.endswith("/map/coords.npy") for k in keys) and any(k.endswith("latent.npy") for k in keys)

        download = client.get(f"/api/versions/{vid}/checkpoint")
        assert download.status_code == 200
        assert download.content == s3_bucket.get(f"{PREFIX}/{ckpt_key}")
        state = torch.load(api_store.path(ckpt_key), map_location="cpu", weights_only=True)
        assert state["epoch"] == 1

        points = pa.ipc.open_stream(client.get(f"/api/versions/{vid}/maps/1/points").content).read_all()
        assert points.num_rows == N
        sample_id = points.column("sample_id").to_pylist()[0]
        near = client.get(f"/api/versions/{vid}/maps/1/neighbors/{sample_id}", params={"k": 5})
        assert near.status_code == 200, near.text
        assert len(near.json()["neighbors"]) == 5  # the latent vectors, memory-mapped from the API's cache

    # Nothing in either local folder but the API's cached copies of what the bucket holds.
    assert not (data_dir / "artifacts").exists() and not (worker_dir / "artifacts").exists()
    cached = {p.relative_to(api_store.cache.root).as_posix().rsplit("~", 1)[0]
              for p in files_under(api_store.cache.root)}
    assert ckpt_key in cached and {f"{PREFIX}/{k}" for k in cached} <= set(keys)
    assert not [p for p in files_under(worker_dir) if p.suffix in (".pt", ".npy", ".arrow")]
