"""Every attribution method of the analysis pipeline runs unchanged on every architecture."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from backend.core.specs.analysis_methods import METHODS
from tests.unit.arch_support import ARCHITECTURES, batch, make_model
from worker.attribution.methods import Inputs, attribute
from worker.models.base import TextClassifier

torch.set_num_threads(1)

CHEAP: dict[str, dict[str, Any]] = {
    "integrated_gradients": {"n_steps": 16, "internal_batch_size": 16, "max_steps": 32,
                             "delta_tolerance": 0.05},
    "gradient_shap": {"n_samples": 4},
    "lime": {"n_samples": 20},
    "kernel_shap": {"n_samples": 20},
}
_models: dict[str, TextClassifier] = {}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_method_gives_per_token_scores(architecture: str, method: str) -> None:
    if architecture not in _models:
        _models[architecture] = make_model(architecture).eval()
    model = _models[architecture]
    ids, lengths = batch([[2, 4, 13, 6, 20, 8, 6]])
    result = attribute(method, Inputs(model, ids, lengths), METHODS[method](**CHEAP.get(method, {})))
    assert result.scores.shape == (2, ids.shape[1])
    assert np.isfinite(result.scores).all()
