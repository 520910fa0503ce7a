"""The state a training run carries from epoch to epoch, fresh or restored from the last checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import ModelVersion
from backend.core.specs.architectures import ARCHITECTURES, TrainParams
from worker.models.base import TextClassifier
from worker.pipeline.checkpoint import checkpoint_for, model_from_checkpoint, read_checkpoint
from worker.pipeline.data import TrainingData, load_training_data
from worker.pipeline.device import pick_device
from worker.pipeline.fresh_model import fresh_model
from worker.pipeline.seeding import restore_rng, seed_everything
from worker.pipeline.train import make_optimizer


@dataclass
class TrainingRun:
    factory: sessionmaker[Session]
    store: ArtifactStore
    version: ModelVersion  # detached snapshot: id, architecture, hyperparameters, seed
    params: TrainParams
    data: TrainingData
    model: TextClassifier
    optimizer: torch.optim.Optimizer
    device: torch.device
    batch_rng: np.random.Generator
    epochs_done: int


def open_run(factory: sessionmaker[Session], version_id: int, store: ArtifactStore | None = None,
             device: torch.device | None = None) -> TrainingRun:
    """Seed and build the model, or resume model, optimizer and RNG states after `version.epochs_done`."""
    store = store or get_store()
    device = device or pick_device()
    with factory() as s:
        version = s.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"version {version_id} not found")
        data = load_training_data(s, version, store)
        done = version.epochs_done
        key = checkpoint_for(s, version_id, done).key if done else None
        s.expunge(version)
    params = ARCHITECTURES[version.architecture](**version.hyperparameters)
    batch_rng = seed_everything(version.seed)
    if key is None:
        model = fresh_model(version, data, store)
        model.to(device)
        optimizer = make_optimizer(model, params.optimizer, params.learning_rate, params.weight_decay)
    else:
        saved = read_checkpoint(store, key)
        model = model_from_checkpoint(saved, device)
        optimizer = make_optimizer(model, params.optimizer, params.learning_rate, params.weight_decay)
        optimizer.load_state_dict(saved["optimizer"])
        batch_rng = restore_rng(saved["rng"])
    return TrainingRun(factory=factory, store=store, version=version, params=params, data=data, model=model,
                       optimizer=optimizer, device=device, batch_rng=batch_rng, epochs_done=done)
