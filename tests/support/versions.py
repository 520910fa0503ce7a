"""Model versions and train jobs written straight into the database, for fast tests of the worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.architectures import validate_hyperparameters
from backend.db.models import Job, ModelVersion
from backend.services.jobs import create_job

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
