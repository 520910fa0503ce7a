"""The training task's sweep behaviours, with its real body (SQLite and PostgreSQL): early stopping
on the validation history, and a revoked job stopping mid-epoch while keeping the finished epochs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import BatchMetric, Job, ModelVersion
from backend.core.jobs.submit import create_job
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.versions import insert_version, train_version
from worker.job_runner import JobContext, run_job
from worker.tasks.training import train


@pytest.fixture
def version_id(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=120, vocab_size=300, max_length=64)
        return insert_version(s, project.id, dataset.id, seed=1).id


def _train_job(factory: sessionmaker[Session], version_id: int, params: dict[str, Any]) -> int:
    with factory() as s:
        job = create_job(s, "train", version_id=version_id, params=params)
        s.commit()
        return job.id


def test_early_stopping_ends_the_trial(session_factory: sessionmaker[Session], version_id: int) -> None:
    # A min_delta no change can beat: epoch 2 brings no improvement, so with patience 1 it stops there.
    early = {"metric": "val_loss", "patience": 1, "min_delta": 100.0}
    job_id = _train_job(session_factory, version_id, {"epochs": 5, "early_stopping": early})
    with run_job(job_id, session_factory) as ctx:
        assert ctx is not None
        train(ctx)
    with session_factory() as s:
        job, version = s.get(Job, job_id), s.get(ModelVersion, version_id)
        assert job is not None and version is not None
        assert job.state == "SUCCESS", job.error
        assert (version.status, version.epochs_done) == ("trained", 2)
        assert job.result["stopped_early"] is True and job.result["epochs_done"] == 2
        assert job.message == "stopped early after 2 of 5 epochs"


def test_revoked_job_stops_mid_epoch_and_keeps_finished_epochs(session_factory: sessionmaker[Session],
                                                               version_id: int) -> None:
    assert train_version(session_factory, version_id, 1).state == "SUCCESS"
    job_id = _train_job(session_factory, version_id, {"epochs": 3})
    with run_job(job_id, session_factory) as ctx:
        assert ctx is not None
        with session_factory() as s:  # what cancelling the sweep does to a job a worker already holds
            job = s.get(Job, job_id)
            assert job is not None
            job.state = "REVOKED"
            s.commit()
        train(ctx)  # raises JobGone at its first progress report; run_job swallows it
    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        job = s.get(Job, job_id)
        assert version is not None and job is not None
        assert (version.status, version.epochs_done, job.state) == ("cancelled", 1, "REVOKED")
        epochs = set(s.scalars(select(BatchMetric.epoch).where(BatchMetric.version_id == version_id)))
        assert epochs == {1}, "the unfinished epoch's live batch metrics remain"
    # A job taken over by another worker (not revoked) keeps the version training for the new holder.
    job_id = _train_job(session_factory, version_id, {"epochs": 2})
    ctx2 = JobContext(job_id, session_factory)
    assert ctx2.claim()
    with session_factory() as s:  # the new holder took the job and started training the version
        job, version = s.get(Job, job_id), s.get(ModelVersion, version_id)
        assert job is not None and version is not None
        job.worker = "elsewhere:1"
        version.status = "training"
        s.commit()
    with pytest.raises(Exception, match="cancelled or taken over"):
        train(ctx2)
    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None and version.status == "training"
