"""Build a model from a version's architecture name and hyperparameters."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from backend.core.specs.architectures import (
    ARCHITECTURES,
    BowMlpParams,
    CnnParams,
    LstmParams,
    MiniLmParams,
    NgramParams,
)
from worker.models.base import TextClassifier
from worker.models.cnn import TextCNN


def build_model(architecture: str, hyperparameters: dict[str, Any], vocab_size: int, num_classes: int,
                vocab: list[str] | None = None, fitted: npt.NDArray[np.float32] | None = None) -> TextClassifier:
    """`vocab` (id -> word, see word_vectors.vocabulary) lets a model start from pretrained resources:
    GloVe vectors for the LSTMs' `pretrained_vectors`, WordPiece embeddings for minilm; `fitted`, the
    LSTMs' vectors fitted on the train split. Pass them when building a model to train
    (worker/pipeline/fresh_model.py); leave them out when restoring a checkpoint, whose state dict holds
    every weight."""
    params = ARCHITECTURES[architecture](**hyperparameters)
    # The optional architectures are imported when first built, so a worker loads only the models it runs
    # (the CNN, the default, always; minilm's transformers alone takes seconds to import).
    if architecture == "cnn":
        assert isinstance(params, CnnParams)
        return TextCNN(vocab_size, num_classes, params)
    if architecture in ("lstm", "bilstm"):
        from worker.models.lstm import TextLSTM

        assert isinstance(params, LstmParams)
        return TextLSTM(vocab_size, num_classes, params, architecture=architecture, vocab=vocab, fitted=fitted)
    if architecture == "bow_mlp":
        from worker.models.bow_mlp import BowMLP

        assert isinstance(params, BowMlpParams)
        return BowMLP(vocab_size, num_classes, params)
    if architecture == "ngram":
        from worker.models.ngram import NgramBag

        assert isinstance(params, NgramParams)
        return NgramBag(vocab_size, num_classes, params)
    if architecture == "minilm":
        from worker.models.minilm import MiniLmClassifier

        assert isinstance(params, MiniLmParams)
        return MiniLmClassifier(vocab_size, num_classes, params, vocab=vocab)
    raise ValueError(f"no model implementation for architecture {architecture!r}")
