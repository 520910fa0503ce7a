"""Sharded evaluation in distributed mode (PostgreSQL, Redis) on real worker processes: two bulk-lane workers
share an epoch's three evaluation shards, and the epoch's results are the unsharded evaluation's, every
sample exactly once, with the epoch's map built from the shards' pooled activations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import Job, ModelVersion, SampleResult
from backend.core.vocabulary import JobKind
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN, insert_version
from tests.support.worker_process import WorkerProcess
from worker.pipeline.checkpoint import load_model
from worker.pipeline.data import load_training_data
from worker.pipeline.evaluate import evaluate

pytestmark = pytest.mark.integration

N = 20_000


@pytest.fixture
def shard_workers(redis_env: dict[str, str], data_dir: Path) -> Iterator[list[WorkerProcess]]:
    """Two bulk-lane workers evaluating in 3 shards, and an interactive one for the map."""
    # The training leaves unstarted shards to the other worker for a minute: on an idle machine it would
    # otherwise evaluate all three before a freshly started worker process had begun its first task.
    env = {**redis_env, "LENSBOARD_EVAL_SHARDS": "3", "LENSBOARD_TORCH_THREADS": "1",
           "LENSBOARD_EVAL_SHARD_GRACE_SECONDS": "60"}
    workers = [WorkerProcess(env, data_dir / f"worker-{lane}-{uuid.uuid4().hex[:6]}.log", lane=lane)
               for lane in ("bulk", "bulk", "interactive")]
    for w in workers:
        w.launch()
    try:
        for w in workers:
            w.wait_ready(90)
        yield workers
    finally:
        for w in workers:
            w.stop()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_an_epoch_evaluated_in_shards_by_two_workers(client: TestClient, session_factory: sessionmaker[Session],
                                                      shard_workers: list[WorkerProcess]) -> None:
    store = get_store()
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, store, project.id, n=N, vocab_size=500, max_length=64)
        version_id = insert_version(s, project.id, dataset.id, {**SMALL_CNN, "batch_size": 64}, seed=2).id
    r = client.post(f"/api/versions/{version_id}/train", json={"epochs": 1})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"], shard_workers[0], timeout=300)
    assert job["state"] == "SUCCESS", f"{job}\n" + "\n".join(w.log() for w in shard_workers)
    assert job["result"]["eval_shards"] == 3

    with session_factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None and version.epochs_done == 1
        shards = s.scalars(select(Job).where(Job.version_id == version_id, Job.kind == JobKind.EVAL_SHARD)).all()
        assert sorted(j.state for j in shards) == ["SUCCESS"] * 3
        rows = s.execute(select(SampleResult.sample_id, SampleResult.loss, SampleResult.p_positive,
                                SampleResult.prediction)
                         .where(SampleResult.version_id == version_id, SampleResult.epoch == 1)).all()
        # The unsharded evaluation of the same checkpoint, in this process.
        data = load_training_data(s, version, store)
        model = load_model(s, version_id, 1, store=store)
        training = s.get(Job, job["id"])
        assert training is not None and training.worker
    # The other bulk worker evaluated the shards it was left: a process that is not the training's.
    others = [j.params["shard"] for j in shards if j.worker != training.worker]
    assert others, [(j.params["shard"], j.worker, training.worker) for j in shards]
    assert len(rows) == N and len({r[0] for r in rows}) == N  # every sample exactly once
    whole = evaluate(model, data.arrays, np.arange(N), data.labels, torch.device("cpu"), 512)
    row_of = {int(sid): i for i, sid in enumerate(data.sample_ids)}
    at = np.array([row_of[r[0]] for r in rows])
    np.testing.assert_allclose([r[1] for r in rows], whole.loss[at], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose([r[2] for r in rows], whole.probs[at, 1], rtol=1e-4, atol=1e-5)
    assert [r[3] for r in rows] == whole.prediction[at].tolist()

    # The epoch's map, on the interactive worker, from the merged pooled activations.
    with session_factory() as s:
        map_job = s.scalars(select(Job).where(Job.version_id == version_id, Job.kind == JobKind.MAP)).one()
    done = wait_for_job(client, map_job.id, shard_workers[2], timeout=300)
    assert done["state"] == "SUCCESS", done
    m = client.get(f"/api/versions/{version_id}/maps/1").json()
    m = m.get("map") or m
    assert m["num_points"] == N

