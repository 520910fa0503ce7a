"""The training pipeline against a real database (every test runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import checkpoint_key
from backend.core.db.models import BatchMetric, Checkpoint, EpochMetric, Job, ModelVersion, Sample, SampleResult
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.versions import insert_version, train_version
from worker.pipeline import epoch as epoch_module
from worker.pipeline.checkpoint import load_model
from worker.pipeline.evaluate import EvalResult
from worker.pipeline.results import write_sample_results

N = 120  # 72 train / 24 val / 24 test; 5 batches of 16 per epoch


@pytest.fixture
def version(session_factory: sessionmaker[Session]) -> ModelVersion:
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=N, vocab_size=300, max_length=64)
        return insert_version(s, project.id, dataset.id, seed=1)


def _losses(factory: sessionmaker[Session], version_id: int, epoch: int) -> list[float]:
    with factory() as s:
        return list(s.scalars(select(SampleResult.loss)
                              .where(SampleResult.version_id == version_id, SampleResult.epoch == epoch)
                              .order_by(SampleResult.sample_id)))


def test_sample_results_bulk_write_replaces_rows(session_factory: sessionmaker[Session],
                                                 version: ModelVersion) -> None:
    with session_factory() as s:
        ids = np.array(s.scalars(select(Sample.id).order_by(Sample.index)).all(), dtype=np.int64)
        labels = np.array(s.scalars(select(Sample.label).order_by(Sample.index)).all(), dtype=np.int64)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1], size=len(ids)).astype(np.float32)
    result = EvalResult(loss=rng.random(len(ids)).astype(np.float32), probs=probs,
                        prediction=probs.argmax(1), seconds=0.0)
    for _ in range(2):  # writing an epoch again replaces its rows
        with session_factory() as s:
            assert write_sample_results(s, version.id, 3, ids, labels, result) == len(ids)
            s.commit()
    with session_factory() as s:
        rows = s.scalars(select(SampleResult).where(SampleResult.version_id == version.id)
                         .order_by(SampleResult.sample_id)).all()
    assert [r.sample_id for r in rows] == sorted(ids.tolist())
    by_id = {r.sample_id: r for r in rows}
    for i, sid in enumerate(ids.tolist()):
        r = by_id[sid]
        assert r.epoch == 3 and r.prediction == int(result.prediction[i])
        assert r.loss == pytest.approx(float(result.loss[i]), rel=1e-6)
        assert r.p_positive == pytest.approx(float(probs[i, 1]), rel=1e-6)
        assert r.p_label == pytest.approx(float(probs[i, labels[i]]), rel=1e-6)


def test_train_task_body_writes_every_epoch(session_factory: sessionmaker[Session],
                                            version: ModelVersion) -> None:
    job = train_version(session_factory, version.id, 2)
    assert job.state == "SUCCESS", job.error
    assert job.result["epochs"] == 2
    with session_factory() as s:
        v = s.get(ModelVersion, version.id)
        assert v is not None
        assert (v.status, v.epochs_done, v.device) == ("trained", 2, "cpu")
        assert v.graph["architecture"] == "cnn" and v.graph["total_params"] > 0
        n_results = s.scalar(select(func.count()).select_from(SampleResult)
                             .where(SampleResult.version_id == version.id))
        assert n_results == 2 * N
        batches = s.execute(select(BatchMetric.epoch, BatchMetric.batch, BatchMetric.step)
                            .where(BatchMetric.version_id == version.id).order_by(BatchMetric.step)).all()
        assert [(e, b) for e, b, _ in batches] == [(e, b) for e in (1, 2) for b in range(1, 6)]
        assert [st for _, _, st in batches] == list(range(1, 11))
        metrics = s.scalars(select(EpochMetric).where(EpochMetric.version_id == version.id)).all()
        assert sorted((m.epoch, m.split, m.count) for m in metrics) == [
            (e, split, c) for e in (1, 2) for split, c in (("test", 24), ("train", 72), ("val", 24))]
        # Epoch metrics are the mean of the stored per-sample results.
        for m in metrics:
            mean = s.scalar(select(func.avg(SampleResult.loss))
                            .join(Sample, Sample.id == SampleResult.sample_id)
                            .where(SampleResult.version_id == version.id, SampleResult.epoch == m.epoch,
                                   Sample.split == m.split))
            assert m.loss == pytest.approx(float(mean), rel=1e-5)
        keys = s.scalars(select(Checkpoint.key).where(Checkpoint.version_id == version.id)
                         .order_by(Checkpoint.epoch)).all()
        assert keys == [checkpoint_key(version.id, 1), checkpoint_key(version.id, 2)]
        model = load_model(s, version.id, 2)
    assert not model.training
    assert model(torch.ones(1, 5, dtype=torch.long), torch.tensor([5])).shape == (1, 2)


def test_resumed_training_matches_an_uninterrupted_run(session_factory: sessionmaker[Session],
                                                       version: ModelVersion) -> None:
    with session_factory() as s:
        twin = insert_version(s, version.project_id, version.dataset_id, seed=1)
    train_version(session_factory, version.id, 2)
    train_version(session_factory, twin.id, 1)
    second = train_version(session_factory, twin.id, 2)  # resumes from the epoch-1 checkpoint
    assert second.state == "SUCCESS", second.error
    expected = _losses(session_factory, version.id, 2)
    assert _losses(session_factory, twin.id, 2) == pytest.approx(expected, abs=1e-6)


def test_epoch_commits_in_one_transaction(session_factory: sessionmaker[Session], version: ModelVersion,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    # Fails after the per-sample results and epoch metrics were added to the epoch's transaction.
    monkeypatch.setattr(epoch_module, "record_checkpoint", crash)
    job = train_version(session_factory, version.id, 1)
    assert job.state == "FAILURE" and "disk on fire" in (job.error or "")
    with session_factory() as s:
        v = s.get(ModelVersion, version.id)
        assert v is not None and (v.status, v.epochs_done) == ("failed", 0)
        for table in (SampleResult, EpochMetric, Checkpoint):
            assert s.scalar(select(func.count()).select_from(table)) == 0, table.__name__
    monkeypatch.undo()
    job = train_version(session_factory, version.id, 1)
    assert job.state == "SUCCESS"
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(SampleResult)) == N
        assert s.scalar(select(func.count()).select_from(BatchMetric)) == 5


def test_each_committed_epoch_starts_post_epoch_jobs(session_factory: sessionmaker[Session],
                                                     version: ModelVersion,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.core.jobs import submit as jobs

    # A kind no worker serves here: only the creation and enqueueing of the jobs is under test.
    monkeypatch.setattr(jobs, "POST_EPOCH_JOB_KINDS", ["probe"])
    monkeypatch.setitem(jobs.TASK_FOR_KIND, "probe", "lensboard.probe")
    train_version(session_factory, version.id, 1)
    train_version(session_factory, version.id, 2)  # the resumed run must not start epoch 1's jobs again
    with session_factory() as s:
        probes = s.scalars(select(Job).where(Job.kind == "probe").order_by(Job.id)).all()
    assert [(j.version_id, j.params, j.state) for j in probes] == [
        (version.id, {"epoch": 1}, "PENDING"), (version.id, {"epoch": 2}, "PENDING")]
    assert all(j.celery_task_id for j in probes)


def test_train_metrics_are_on_the_rows_and_labels_trained_on(session_factory: sessionmaker[Session]) -> None:
    """Excluded samples are not in the train figure, and relabelled ones count against their new label."""
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=N, vocab_size=300, max_length=64)
        train = s.execute(select(Sample.id, Sample.label).where(Sample.dataset_id == dataset.id,
                                                                 Sample.split == "train")
                          .order_by(Sample.index)).all()
        relabel = {str(sid): 1 - label for sid, label in train[:10]}
        excluded = [sid for sid, _ in train[10:14]]
        version = insert_version(s, project.id, dataset.id, seed=1,
                                 data_fixes={"relabel": relabel, "exclude": excluded})
    job = train_version(session_factory, version.id, 1)
    assert job.state == "SUCCESS", job.error
    with session_factory() as s:
        metric = s.get(EpochMetric, (version.id, 1, "train"))
        assert metric is not None and metric.count == len(train) - len(excluded)
        rows = s.execute(select(SampleResult.sample_id, SampleResult.prediction, SampleResult.p_positive)
                         .where(SampleResult.version_id == version.id, SampleResult.epoch == 1)).all()
    trained_label = {sid: relabel.get(str(sid), label) for sid, label in train if sid not in excluded}
    by_id = {sid: (pred, p1) for sid, pred, p1 in rows}
    correct = [by_id[sid][0] == label for sid, label in trained_label.items()]
    assert metric.accuracy == pytest.approx(float(np.mean(correct)))
    nll = [-np.log(max(by_id[sid][1] if label == 1 else 1 - by_id[sid][1], 1e-12))
           for sid, label in trained_label.items()]
    assert metric.loss == pytest.approx(float(np.mean(nll)), rel=1e-3)
