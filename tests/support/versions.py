"""Model versions for tests: rows written straight into the database, and versions trained by the REAL
training task body (the code a worker runs, minus Celery), so checkpoints, per-sample results and the
post-epoch jobs are exactly what the platform produces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.db.models import EpochMetric, Job, ModelVersion, Sample, SampleResult
from backend.core.jobs.submit import create_job
from backend.core.settings import get_settings
from backend.core.specs.architectures import validate_hyperparameters
from tests.support.datasets import create_project, insert_dataset, insert_synthetic_dataset
from tests.support.imdb_subset import pick_reviews

# A CNN small enough to train a few epochs on a few hundred samples in about a second.
SMALL_CNN: dict[str, Any] = {
    "embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2, 3], "dense_units": 8, "dropout": 0.1,
    "embedding_dropout": 0.0,
    "batch_size": 16, "learning_rate": 0.01, "bucket_chunk_batches": 4,
}


def insert_version(session: Session, project_id: int, dataset_id: int,
                   hyperparameters: dict[str, Any] | None = None, seed: int = 0,
                   data_fixes: dict[str, Any] | None = None) -> ModelVersion:
    hp = validate_hyperparameters("cnn", hyperparameters or SMALL_CNN)
    version = ModelVersion(project_id=project_id, dataset_id=dataset_id, name=f"cnn-seed{seed}",
                           architecture="cnn", hyperparameters=hp, seed=seed, status="created",
                           data_fixes=data_fixes or {}, graph={})
    session.add(version)
    session.commit()
    return version


def insert_train_job(session: Session, version: ModelVersion, epochs: int) -> Job:
    job = create_job(session, "train", project_id=version.project_id, version_id=version.id,
                     dataset_id=version.dataset_id, params={"epochs": epochs})
    session.commit()
    return job


def train_version(factory: sessionmaker[Session], version_id: int, epochs: int) -> Job:
    """Train up to `epochs` with the training task's body: claim the lease, run it, record the outcome.

    Like a worker, it enqueues the post-epoch jobs (e.g. "map") on the configured broker."""
    from worker.job_runner import run_job
    from worker.tasks.training import train

    with factory() as s:
        version = s.get(ModelVersion, version_id)
        assert version is not None
        job_id = insert_train_job(s, version, epochs).id
    with run_job(job_id, factory) as ctx:
        assert ctx is not None
        train(ctx)
    with factory() as s:
        done = s.get(Job, job_id)
        assert done is not None
        return done


def post_epoch_job(factory: sessionmaker[Session], version_id: int, kind: str, epoch: int) -> int:
    """The id of the `kind` job that training started after `epoch`."""
    with factory() as s:
        jobs = s.scalars(select(Job).where(Job.version_id == version_id, Job.kind == kind)).all()
        matches = [j.id for j in jobs if j.params.get("epoch") == epoch]
    assert len(matches) == 1, f"expected one {kind} job for epoch {epoch}, found {matches}"
    return matches[0]


@dataclass(frozen=True)
class TrainedVersion:
    project_id: int
    dataset_id: int
    version_id: int
    sample_ids: list[int]  # by sample index
    texts: list[str]
    max_length: int


def trained_version(factory: sessionmaker[Session], store: ArtifactStore, texts: Sequence[str],
                    labels: Sequence[int], splits: Sequence[str], *, epochs: int = 1,
                    keys: Sequence[str] | None = None, scores: Sequence[int | None] | None = None,
                    hyperparameters: dict[str, Any] | None = None, vocab_size: int = 2000,
                    max_length: int = 128, seed: int = 0) -> TrainedVersion:
    """A project, a dataset of these texts and a CNN version trained `epochs` epochs by the real pipeline."""
    with factory() as s:
        project = create_project(s, name=f"trained-{seed}")
        dataset = insert_dataset(s, store, project.id, texts, labels, splits, vocab_size=vocab_size,
                                 max_length=max_length, keys=keys, scores=scores)
        version = insert_version(s, project.id, dataset.id, hyperparameters, seed=seed)
        ids = list(s.scalars(select(Sample.id).where(Sample.dataset_id == dataset.id).order_by(Sample.index)))
        project_id, dataset_id, version_id = project.id, dataset.id, version.id
    job = train_version(factory, version_id, epochs)
    assert job.state == "SUCCESS", job.error
    return TrainedVersion(project_id, dataset_id, version_id, ids, list(texts), max_length)


def imdb_trained_version(factory: sessionmaker[Session], store: ArtifactStore, imdb_root: Path,
                         per_class: int, *, epochs: int = 1, max_length: int = 120,
                         seed: int = 0) -> TrainedVersion:
    """A version trained on `per_class` real reviews per (split, class) of an aclImdb folder (seeded);
    a short `max_length` so that some reviews are truncated."""
    reviews = pick_reviews(imdb_root, per_class, seed)
    return trained_version(factory, store, [r.text for r in reviews], [r.label for r in reviews],
                           [r.split for r in reviews], keys=[r.key for r in reviews],
                           scores=[r.score for r in reviews], epochs=epochs, max_length=max_length, seed=seed)


def version_with_results(factory: sessionmaker[Session], *, with_metrics: bool, n: int = 120,
                         name: str | None = None) -> tuple[int, dict[int, dict[str, Any]]]:
    """A version with 2 epochs of results; losses repeat in pairs so the tie-break matters."""
    rng = np.random.default_rng(1)
    with factory() as s:
        project = create_project(s, name=name or f"metrics-{with_metrics}")
        dataset = insert_synthetic_dataset(s, LocalArtifactStore(get_settings().artifacts), project.id, n=n)
        version = insert_version(s, project.id, dataset.id)
        version.epochs_done = 2
        samples = sorted(dataset_samples(s, dataset.id), key=lambda x: x[0])
        rows: dict[int, dict[str, Any]] = {}
        for epoch in (1, 2):
            losses = np.repeat(rng.random(n // 2), 2)
            for (sid, split, label), loss in zip(samples, losses, strict=True):
                row = {"version_id": version.id, "epoch": epoch, "sample_id": sid, "loss": float(loss),
                       "p_positive": float(1 - loss), "p_label": 0.5, "prediction": label}
                if epoch == 2:
                    rows[sid] = {**row, "split": split}
                s.execute(insert(SampleResult), [row])
            if with_metrics:
                for split in ("train", "val", "test"):
                    count = sum(1 for _, sp, _ in samples if sp == split)
                    if count:
                        s.add(EpochMetric(version_id=version.id, epoch=epoch, split=split, loss=0.5, accuracy=1.0,
                                          count=count))
        s.commit()
        return version.id, rows


def dataset_samples(s: Session, dataset_id: int) -> list[tuple[int, str, int]]:
    return [(r.id, r.split, r.label) for r in s.scalars(select(Sample).where(Sample.dataset_id == dataset_id))]
