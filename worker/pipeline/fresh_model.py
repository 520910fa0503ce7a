"""A version's model as it starts training (a new version, a retrain, a sweep trial, a ranking's fold model):
its architecture built with what it starts from besides random weights."""

from __future__ import annotations

from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import ModelVersion
from backend.core.specs.architectures import ARCHITECTURES, LstmParams
from backend.core.vocabulary import Split
from worker.models.base import TextClassifier
from worker.models.fitted_vectors import dataset_vectors
from worker.models.registry import build_model
from worker.pipeline.data import TrainingData


def fresh_model(version: ModelVersion, data: TrainingData, store: ArtifactStore) -> TextClassifier:
    params = ARCHITECTURES[version.architecture](**version.hyperparameters)
    fitted = None
    if isinstance(params, LstmParams) and params.fitted_vectors and params.pretrained_vectors is None:
        # The whole train split, not this version's training rows: one set of vectors per dataset, and no
        # label is read to fit them.
        fitted = dataset_vectors(store, version.dataset_id, data.arrays, data.rows(Split.TRAIN), data.vocab_size,
                                 params.embedding_dim)
    return build_model(version.architecture, version.hyperparameters, data.vocab_size, data.num_classes,
                       vocab=data.vocab, fitted=fitted)
