"""K-fold out-of-sample probabilities for the train split, one fold model at a time.

A fold model is the version's recipe (architecture, hyperparameters, seed, epochs, data fixes)
trained on train minus the fold; it predicts only its held-out fold. It is built with the training
pipeline's own stages (worker.pipeline), so it is the same model the version is, minus one fold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import ModelVersion
from backend.core.specs.architectures import ARCHITECTURES
from backend.core.vocabulary import Split
from worker.mislabels.folds import assign_folds
from worker.mislabels.store import CvPlan
from worker.models.base import TextClassifier
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.data import TrainingData
from worker.pipeline.evaluate import evaluate
from worker.pipeline.fresh_model import fresh_model
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, set_epoch_learning_rate, train_one_epoch


def make_plan(data: TrainingData, folds: int, seed: int) -> CvPlan:
    """Every sample of the train split gets a fold, excluded ones too: they are predicted by their
    fold's model like the rest, and (being excluded) never trained on by any model."""
    train_index = data.rows(Split.TRAIN)
    labels = data.train_labels[train_index]
    return CvPlan(train_index=train_index, fold=assign_folds(labels, folds, seed), labels=labels)


def fold_training_rows(plan: CvPlan, data: TrainingData, fold: int) -> npt.NDArray[np.int64]:
    """The rows fold `fold` trains on: the version's training rows outside the fold."""
    return np.intersect1d(data.train_rows, plan.trained_on(fold)).astype(np.int64)


def train_fold_model(version: ModelVersion, data: TrainingData, store: ArtifactStore, rows: npt.NDArray[np.int64],
                     epochs: int, device: torch.device) -> TextClassifier:
    params = ARCHITECTURES[version.architecture](**version.hyperparameters)
    batch_rng = seed_everything(version.seed)
    model = fresh_model(version, data, store)
    model.to(device)
    optimizer = make_optimizer(model, params.optimizer, params.learning_rate, params.weight_decay)
    for epoch in range(1, epochs + 1):
        set_epoch_learning_rate(optimizer, params.learning_rate, params.lr_decay, epoch)
        batches = bucketed_batches(data.lengths, rows, params.batch_size, params.bucket_chunk_batches,
                                   batch_rng)
        train_one_epoch(model, optimizer, data.arrays, batches, data.train_labels, device,
                        grad_clip=params.grad_clip)
    return model


def predict_fold(version: ModelVersion, data: TrainingData, store: ArtifactStore, plan: CvPlan, fold: int,
                 epochs: int, device: torch.device) -> npt.NDArray[np.float32]:
    """(n_fold, C) probabilities of the fold's held-out rows, from a model that never saw them."""
    held = plan.held_out(fold)
    trained = fold_training_rows(plan, data, fold)
    if np.intersect1d(trained, held).size:  # the whole point of the exercise; never let it slip
        raise AssertionError(f"fold {fold}: held-out rows in the training rows")
    model = train_fold_model(version, data, store, trained, epochs, device)
    params = ARCHITECTURES[version.architecture](**version.hyperparameters)
    result = evaluate(model, data.arrays, held, data.train_labels[held], device, params.eval_batch_size)
    return np.asarray(result.probs, dtype=np.float32)
