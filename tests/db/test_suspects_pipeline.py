"""The suspects task bodies, run in-process on a really trained version with planted label flips:
the parent writes the plan and creates the fold jobs, each fold body trains its model, the last one
ranks. (tests/integration/test_suspects_worker.py runs the same through real workers.)"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import keys
from backend.core.artifacts.store import LocalArtifactStore
from backend.core.db.models import Job, ModelVersion, SuspectRanking, SuspectScore
from tests.support.datasets import create_project, insert_dataset, synthetic_reviews
from tests.support.versions import SMALL_CNN, insert_train_job, insert_version
from worker.job_runner import run_job
from worker.mislabels import store as ranking_store
from worker.mislabels.cross_val import fold_training_rows
from worker.mislabels.jobs import run_fold, run_parent
from worker.pipeline.data import load_training_data
from worker.tasks.training import train

FOLDS = 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_task_bodies_rank_planted_flips_at_the_top(client: TestClient,
                                                   session_factory: sessionmaker[Session],
                                                   env: dict[str, str]) -> None:
    store = LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"])
    reviews = synthetic_reviews(600, seed=4, noise=0.0)
    train_rows = [i for i, s in enumerate(reviews.splits) if s == "train"]
    rng = np.random.default_rng(2)
    planted = set(rng.choice(train_rows, size=len(train_rows) // 20, replace=False).tolist())
    labels = [1 - y if i in planted else y for i, y in enumerate(reviews.labels)]
    with session_factory() as s:
        project = create_project(s, "planted")
        dataset = insert_dataset(s, store, project.id, reviews.texts, labels, reviews.splits)
        version = insert_version(s, project.id, dataset.id, {**SMALL_CNN, "dropout": 0.0}, seed=1)
        vid = version.id
        job = insert_train_job(s, version, epochs=4)
    with run_job(job.id, session_factory) as ctx:
        assert ctx is not None
        train(ctx, store)

    r = client.post(f"/api/versions/{vid}/suspects", json={"folds": FOLDS})
    assert r.status_code == 202, r.text
    parent = r.json()["id"]
    run_parent(parent, session_factory, store)
    with session_factory() as s:
        folds = s.scalars(select(Job).where(Job.kind == "suspects_fold").order_by(Job.id)).all()
        fold_ids = [j.id for j in folds]
        assert [j.params["fold"] for j in folds] == list(range(FOLDS))
        assert s.get(Job, parent).state == "PROGRESS"  # type: ignore[union-attr]
    for fid in fold_ids:
        run_fold(fid, session_factory, store)
    with session_factory() as s:
        job = s.get(Job, parent)
        assert job is not None and job.state == "SUCCESS", job.error
        ranking = s.scalars(select(SuspectRanking).where(SuspectRanking.version_id == vid)).one()
        v = s.get(ModelVersion, vid)
        assert v is not None
        data = load_training_data(s, v, store)
        rows = s.execute(select(SuspectScore.sample_id, SuspectScore.fold)
                         .where(SuspectScore.ranking_id == ranking.id, SuspectScore.split == "train")
                         .order_by(SuspectScore.score.desc(), SuspectScore.sample_id)).all()
    plan = ranking_store.load_plan(store, vid, ranking.id)
    id_of_row = {int(i): int(data.sample_ids[i]) for i in range(len(data.sample_ids))}
    fold_of = {sid: f for sid, f in rows}
    for f in range(FOLDS):
        held = plan.held_out(f)
        assert not np.intersect1d(fold_training_rows(plan, data, f), held).size  # never trained on
        assert {fold_of[id_of_row[int(i)]] for i in held} == {f}
    flipped_ids = {id_of_row[i] for i in planted}
    k = len(flipped_ids)
    top = {sid for sid, _ in rows[: 2 * k]}
    found = len(top & flipped_ids)
    assert found > k / 2, f"{found} of {k} planted flips in the top {2 * k}"

    # Every fold also stored the reference model's opinion of its held-out rows, and the ranking used it.
    for f in range(FOLDS):
        ref = store.get_array(keys.reference_key(vid, ranking.id, f))
        assert ref.shape == (len(plan.held_out(f)), 2) and np.allclose(ref.sum(axis=1), 1.0, atol=1e-5)
    with session_factory() as s:
        signals = s.scalars(select(SuspectScore.signals).where(SuspectScore.ranking_id == ranking.id)).all()
        assert signals and all(sig.get("reference_model") is not None for sig in signals)  # train, val, test
        v = s.get(ModelVersion, vid)
        ranking = s.get(SuspectRanking, ranking.id)
        assert v is not None and ranking is not None and "reference_model" in ranking.method["signals"]
        inputs = ranking_store.gather_inputs(s, store, v, ranking)
        assert all(inp.reference_probs is not None for inp in inputs.values())
        # A ranking whose folds predate the reference model is still ranked, on the fold models alone.
        store.delete_prefix(keys.reference_key(vid, ranking.id, 0))
        inputs = ranking_store.gather_inputs(s, store, v, ranking)
        assert all(inp.reference_probs is None for inp in inputs.values())
