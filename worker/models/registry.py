"""Build a model from a version's architecture name and hyperparameters."""

from __future__ import annotations

from typing import Any

from backend.architectures import ARCHITECTURES, CnnParams
from worker.models.base import TextClassifier
from worker.models.cnn import TextCNN


def build_model(
    architecture: str, hyperparameters: dict[str, Any], vocab_size: int, num_classes: int
) -> TextClassifier:
    params = ARCHITECTURES[architecture](**hyperparameters)
    if architecture == "cnn":
        assert isinstance(params, CnnParams)
        return TextCNN(vocab_size, num_classes, params)
    raise ValueError(f"no model implementation for architecture {architecture!r}")
