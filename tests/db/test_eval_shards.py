"""Sharded evaluation (LENSBOARD_EVAL_SHARDS) through the real training task body and the real shard task
body, on SQLite and PostgreSQL: the same results as the unsharded epoch, every sample exactly once, and a
shard that runs again (its worker died after writing its file) changing nothing."""

from __future__ import annotations

import socket
import subprocess
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import eval_shard_key, eval_shards_prefix
from backend.core.db.models import EpochMetric, Job, ModelVersion, Sample, SampleResult
from backend.core.jobs.cancel import cancel_job
from backend.core.jobs.submit import create_job
from backend.core.settings import get_settings
from backend.core.vocabulary import JobKind, JobState
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.versions import insert_version, train_version
from worker.job_runner import JobContext
from worker.pipeline.checkpoint import checkpoint_for, save_checkpoint
from worker.pipeline.eval_shards import _create_shards, _work_and_wait, load_shard, merge, shard_ranges
from worker.pipeline.evaluate import evaluate
from worker.pipeline.pooled_store import load_pooled
from worker.pipeline.run_state import open_run
from worker.tasks.training import eval_shard

N = 150


def _results(factory: sessionmaker[Session], version_id: int) -> dict[int, tuple[float, float, float, int]]:
    with factory() as s:
        rows = s.execute(select(SampleResult.sample_id, SampleResult.loss, SampleResult.p_positive,
                                SampleResult.p_label, SampleResult.prediction)
                         .where(SampleResult.version_id == version_id, SampleResult.epoch == 1)).all()
    by_sample = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}
    assert len(by_sample) == len(rows), "a sample has two results"
    return by_sample


def _metrics(factory: sessionmaker[Session], version_id: int) -> dict[str, tuple[float, float, int]]:
    with factory() as s:
        rows = s.scalars(select(EpochMetric).where(EpochMetric.version_id == version_id)).all()
    return {m.split: (m.loss, m.accuracy, m.count) for m in rows}


def _shard_jobs(factory: sessionmaker[Session], version_id: int) -> list[Job]:
    with factory() as s:
        return list(s.scalars(select(Job).where(Job.version_id == version_id, Job.kind == JobKind.EVAL_SHARD)
                              .order_by(Job.id)))


@pytest.fixture
def twin_versions(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    """Two versions of one dataset with the same seed: their trained weights are the same."""
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=N, vocab_size=300, max_length=64)
        a = insert_version(s, project.id, dataset.id, seed=3).id
        b = insert_version(s, project.id, dataset.id, seed=3).id
    return a, b


def test_a_sharded_epoch_equals_the_unsharded_one(session_factory: sessionmaker[Session],
                                                  twin_versions: tuple[int, int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    plain, sharded = twin_versions
    assert train_version(session_factory, plain, 1).state == JobState.SUCCESS
    monkeypatch.setenv("LENSBOARD_EVAL_SHARDS", "3")
    get_settings.cache_clear()
    try:
        # No worker runs here: the training task claims and evaluates every shard itself.
        job = train_version(session_factory, sharded, 1)
    finally:
        get_settings.cache_clear()
    assert job.state == JobState.SUCCESS, job.error
    assert job.result["eval_shards"] == 3

    want, got = _results(session_factory, plain), _results(session_factory, sharded)
    assert len(got) == N and set(got) == set(want)
    for sid, (loss, p_pos, p_label, prediction) in want.items():
        assert got[sid][:3] == pytest.approx((loss, p_pos, p_label), rel=1e-4, abs=1e-5), sid
        assert got[sid][3] == prediction, sid
    want_m, got_m = _metrics(session_factory, plain), _metrics(session_factory, sharded)
    assert set(got_m) == set(want_m)
    for split, (loss, accuracy, count) in want_m.items():
        assert got_m[split] == pytest.approx((loss, accuracy, count), rel=1e-4)

    # The epoch is complete: counted done, its map queued, its pooled activations whole for that map.
    with session_factory() as s:
        version = s.get(ModelVersion, sharded)
        assert version is not None and version.epochs_done == 1
        assert s.scalars(select(Job).where(Job.version_id == sharded, Job.kind == JobKind.MAP)).one().params == \
            {"epoch": 1}
    store = get_store()
    pooled_plain, pooled_sharded = load_pooled(store, plain, 1, N), load_pooled(store, sharded, 1, N)
    assert pooled_plain is not None and pooled_sharded is not None
    assert list(pooled_sharded) == list(pooled_plain)
    for name, x in pooled_plain.items():
        np.testing.assert_allclose(pooled_sharded[name], x, rtol=1e-2, atol=1e-3)

    # Three shards over contiguous row ranges, all done; their files dropped once the epoch committed.
    shards = _shard_jobs(session_factory, sharded)
    assert [(j.params["start"], j.params["stop"]) for j in shards] == shard_ranges(N, 3)
    assert all(j.state == JobState.SUCCESS for j in shards)
    assert not store.exists(eval_shard_key(sharded, 1, shards[0].id))
    assert not _shard_jobs(session_factory, plain)


def test_a_shard_run_again_after_its_worker_died_changes_nothing(session_factory: sessionmaker[Session],
                                                                 twin_versions: tuple[int, int]) -> None:
    """The shard task (as a worker runs it: checkpoint and tokens from the store) over rows 40..99 of a trained
    epoch; then again, as after a worker that died between writing its file and marking its job done."""
    version_id, _ = twin_versions
    assert train_version(session_factory, version_id, 1).state == JobState.SUCCESS
    with session_factory() as s:
        key = checkpoint_for(s, version_id, 1).key
        job = create_job(s, JobKind.EVAL_SHARD, version_id=version_id,
                         params={"epoch": 1, "shard": 0, "shards": 1, "start": 40, "stop": 100, "checkpoint": key})
        s.commit()
        job_id = job.id
    eval_shard(job_id)
    store = get_store()
    first = load_shard(store, eval_shard_key(version_id, 1, job_id))
    # The shard saw what the training's own evaluation saw.
    stored = _results(session_factory, version_id)
    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None
        ids = list(s.scalars(select(Sample.id).where(Sample.dataset_id == version.dataset_id)
                             .order_by(Sample.index)))[40:100]
    np.testing.assert_allclose(first.loss, [stored[i][0] for i in ids], rtol=1e-4, atol=1e-5)
    assert len(first.loss) == 60 and first.pooled is not None
    assert all(len(x) == 60 for x in first.pooled.values())

    # Done already: a second delivery of its message is a no-op.
    eval_shard(job_id)
    with session_factory() as s:
        done = s.get(Job, job_id)
        assert done is not None and (done.state, done.attempts) == (JobState.SUCCESS, 1)
        # Its worker "died" after writing the file: still STARTED, held by a process that is gone.
        s.execute(update(Job).where(Job.id == job_id).values(state=JobState.STARTED, worker="nohost-x:1",
                                                            heartbeat_at=None))
        s.commit()
    # A lease that is not stale and a holder on another host: nobody may take it yet.
    eval_shard(job_id)
    with session_factory() as s:
        held = s.get(Job, job_id)
        assert held is not None and held.state == JobState.STARTED
        s.execute(update(Job).where(Job.id == job_id)
                  .values(heartbeat_at=datetime.now(UTC) - timedelta(days=1)))
        s.commit()
    eval_shard(job_id)  # the lease ran out: this worker takes it over and runs it again
    again = load_shard(store, eval_shard_key(version_id, 1, job_id))
    np.testing.assert_array_equal(again.loss, first.loss)
    np.testing.assert_array_equal(again.probs, first.probs)
    with session_factory() as s:
        done = s.get(Job, job_id)
        assert done is not None and (done.state, done.attempts) == (JobState.SUCCESS, 2)
    store.delete_prefix(eval_shards_prefix(version_id, 1))


def test_cancelling_a_shard_cancels_its_training_and_the_other_shards(session_factory: sessionmaker[Session],
                                                                      twin_versions: tuple[int, int]) -> None:
    version_id, other_version = twin_versions
    with session_factory() as s:
        train = create_job(s, JobKind.TRAIN, version_id=version_id, params={"epochs": 1})
        other_train = create_job(s, JobKind.TRAIN, version_id=other_version, params={"epochs": 1})
        shards = [create_job(s, JobKind.EVAL_SHARD, version_id=version_id,
                             params={"epoch": 1, "shard": i, "shards": 2, "parent_job_id": train.id})
                  for i in range(2)]
        s.execute(update(ModelVersion).where(ModelVersion.id == version_id).values(status="training"))
        s.commit()
        assert cancel_job(s, shards[1])
        ids = [train.id, other_train.id, *(j.id for j in shards)]
    with session_factory() as s:
        states = [s.get(Job, i).state for i in ids]  # type: ignore[union-attr]
        assert states == [JobState.REVOKED, JobState.PENDING, JobState.REVOKED, JobState.REVOKED]
        version = s.get(ModelVersion, version_id)
        assert version is not None and version.status == "cancelled"


def test_the_training_takes_over_a_shard_whose_worker_died(session_factory: sessionmaker[Session],
                                                           twin_versions: tuple[int, int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Shard 1's worker (a process on this host) died mid-way: the waiting training sees its pid gone, claims the
    shard and evaluates it itself; the merged result covers every row once, as the unsharded evaluation does."""
    version_id, _ = twin_versions
    monkeypatch.setenv("LENSBOARD_HEARTBEAT_SECONDS", "0.2")  # how often the training looks at running shards
    get_settings.cache_clear()
    with session_factory() as s:
        parent_id = create_job(s, JobKind.TRAIN, version_id=version_id, params={"epochs": 1}).id
        s.commit()
    parent = JobContext(parent_id, session_factory)
    assert parent.claim()
    run = open_run(session_factory, version_id)
    saved = save_checkpoint(run.store, run.version, 1, run.model, run.optimizer, {}, run.data.vocab_size)
    ids = _create_shards(session_factory, run, 1, saved.key, shard_ranges(N, 3), parent)
    gone = subprocess.Popen(["true"])
    gone.wait()
    with session_factory() as s:
        s.execute(update(Job).where(Job.id == ids[1]).values(
            state=JobState.PROGRESS, worker=f"{socket.gethostname()}:{gone.pid}", heartbeat_at=datetime.now(UTC)))
        s.commit()
    try:
        _work_and_wait(run, ids, parent, None)
    finally:
        get_settings.cache_clear()
    with session_factory() as s:
        jobs = [s.get(Job, i) for i in ids]
        assert [(j.state, j.worker) for j in jobs if j is not None] == [(JobState.SUCCESS, parent.me)] * 3
        assert jobs[1] is not None and jobs[1].attempts == 1  # claimed once, by the training
    merged = merge([load_shard(run.store, eval_shard_key(version_id, 1, i)) for i in ids], seconds=0.0)
    whole = evaluate(run.model, run.data.arrays, np.arange(N), run.data.labels, run.device,
                     run.params.eval_batch_size, pool_layers=True)
    np.testing.assert_allclose(merged.loss, whole.loss, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(merged.probs, whole.probs, rtol=1e-4, atol=1e-5)
    assert merged.pooled is not None and whole.pooled is not None
    assert all(len(x) == N for x in merged.pooled.values())
