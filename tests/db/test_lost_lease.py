"""A worker whose lease ran out (it stalled) and whose job was taken over writes nothing more for that
job: no epoch, no batch metrics, no failure over the new holder's work (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import BatchMetric, Checkpoint, EpochMetric, Job, ModelVersion, SampleResult
from backend.core.jobs.submit import create_job
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.versions import insert_version
from worker.job_runner import JobContext, JobGone
from worker.pipeline.epoch import run_epoch
from worker.pipeline.run_state import open_run
from worker.tasks.training import train

N = 120


def _taken_over(factory: sessionmaker[Session]) -> tuple[int, JobContext, JobContext]:
    """A training job claimed by this worker, then, once its heartbeat went stale, by another one."""
    with factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=N, vocab_size=300, max_length=64)
        version = insert_version(s, project.id, dataset.id, seed=1)
        job = create_job(s, "train", version_id=version.id, params={"epochs": 1})
        s.commit()
        version_id, job_id = version.id, job.id
    stalled = JobContext(job_id, factory)
    assert stalled.claim()
    with factory() as s:
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=datetime.now(UTC) - timedelta(days=1)))
        s.commit()
    new = JobContext(job_id, factory)
    new.me = "elsewhere:1"
    assert new.claim()
    return version_id, stalled, new


def _count(factory: sessionmaker[Session], table: type, version_id: int) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(table.version_id == version_id)) or 0)


def test_an_epoch_finished_after_losing_the_lease_is_not_committed(session_factory: sessionmaker[Session]) -> None:
    version_id, stalled, new = _taken_over(session_factory)
    run = open_run(session_factory, version_id)
    with pytest.raises(JobGone):
        run_epoch(run, 1, guard=stalled.hold)
    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None and version.epochs_done == 0
    for table in (SampleResult, EpochMetric, Checkpoint, BatchMetric):
        assert _count(session_factory, table, version_id) == 0, table.__name__
    # The new holder's epoch commits as usual.
    run_epoch(open_run(session_factory, version_id), 1, guard=new.hold)
    assert _count(session_factory, SampleResult, version_id) == N


def test_a_worker_that_lost_its_job_neither_fails_it_nor_touches_the_version(
        session_factory: sessionmaker[Session]) -> None:
    version_id, stalled, new = _taken_over(session_factory)
    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None
        version.status = "training"  # as the new holder left it
        s.commit()
    with pytest.raises(JobGone):
        train(stalled)
    stalled.fail("RuntimeError: what the stalled worker ran into after waking up")
    with session_factory() as s:
        job, version = s.get(Job, new.job_id), s.get(ModelVersion, version_id)
        assert job is not None and version is not None
        assert (job.state, job.worker, job.error) == ("STARTED", "elsewhere:1", None)
        assert version.status == "training"
    new.fail("ValueError: the holder's own failure")
    with session_factory() as s:
        job = s.get(Job, new.job_id)
        assert job is not None and (job.state, job.error) == ("FAILURE", "ValueError: the holder's own failure")
