"""A worker SIGKILLed in the middle of an epoch: a new worker resumes the job from the last finished
epoch, and the version ends with exactly one result per (epoch, sample) and every batch metric once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import BatchMetric, Sample, SampleResult
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

N = 400  # 240 train samples: 30 batches of 8 per epoch
EPOCHS = 3
TRAIN_BATCHES = 30
HP = {**SMALL_CNN, "batch_size": 8}
# Short leases so that recovery is quick (the new worker also spots the dead pid at once).
WORKER_ENV = {"LENSBOARD_JOB_LEASE_SECONDS": "4", "LENSBOARD_HEARTBEAT_SECONDS": "1",
              "LENSBOARD_TORCH_THREADS": "1"}


# Embedded mode (SQLite + the SQLAlchemy broker) and distributed mode (PostgreSQL + Redis).
MODES = [("sqlite", "env"), ("postgres", "redis_env")]


@pytest.mark.parametrize(("db_url", "env_fixture"), MODES, indirect=["db_url"])
def test_killed_worker_resumes_without_duplicates(client: TestClient, session_factory: sessionmaker[Session],
                                                  data_dir: Path, env_fixture: str,
                                                  request: pytest.FixtureRequest) -> None:
    values = {**request.getfixturevalue(env_fixture), **WORKER_ENV}
    pid = client.post("/api/projects", json={"name": "kill"}).json()["id"]
    with session_factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=N, vocab_size=300, max_length=64)
    vid = client.post(f"/api/projects/{pid}/versions",
                      json={"dataset_id": dataset.id, "hyperparameters": HP}).json()["id"]

    first = WorkerProcess(values, data_dir / "worker-1.log")
    second = WorkerProcess(values, data_dir / "worker-2.log")
    try:
        first.start()
        job_id = client.post(f"/api/versions/{vid}/train", json={"epochs": EPOCHS}).json()["id"]
        mid_epoch = wait_for_job(client, job_id, first, until=_training_epoch_2_or_later, interval=0.05)
        first.kill()
        killed_in = mid_epoch["detail"]["epoch"]
        assert client.get(f"/api/versions/{vid}").json()["epochs_done"] < EPOCHS

        second.start()
        job = wait_for_job(client, job_id, second)
    finally:
        first.stop()
        second.stop()

    assert job["state"] == "SUCCESS", (job, second.log())
    assert job["attempts"] == 2, "the second worker should have resumed the same job"
    assert client.get(f"/api/versions/{vid}").json()["epochs_done"] == EPOCHS
    assert killed_in <= EPOCHS
    with session_factory() as s:
        per_pair = s.execute(
            select(SampleResult.epoch, SampleResult.sample_id, func.count())
            .where(SampleResult.version_id == vid).group_by(SampleResult.epoch, SampleResult.sample_id)
        ).all()
        sample_ids = set(s.scalars(select(Sample.id).where(Sample.dataset_id == dataset.id)).all())
        batches = s.execute(select(BatchMetric.epoch, BatchMetric.batch, BatchMetric.step)
                            .where(BatchMetric.version_id == vid).order_by(BatchMetric.step)).all()
    assert all(count == 1 for _, _, count in per_pair)
    assert {(e, sid) for e, sid, _ in per_pair} == {(e, i) for e in range(1, EPOCHS + 1) for i in sample_ids}
    expected = [(e, b) for e in range(1, EPOCHS + 1) for b in range(1, TRAIN_BATCHES + 1)]
    assert [(e, b) for e, b, _ in batches] == expected
    assert [st for _, _, st in batches] == list(range(1, EPOCHS * TRAIN_BATCHES + 1))


def _training_epoch_2_or_later(job: dict[str, Any]) -> bool:
    d = job["detail"]
    return bool(d.get("epoch", 0) >= 2 and d.get("batch", 0) > 0 and "stage" not in d)
