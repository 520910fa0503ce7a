"""ERASER faithfulness (DeYoung et al. 2020) of one attribution, as AOPC over top-k% bins.

- comprehensiveness: p(pred | text) - p(pred | text without its top-k% tokens); high is faithful;
- sufficiency: p(pred | text) - p(pred | only its top-k% tokens, in order); low is faithful.
Removed tokens are deleted (the sequence shrinks), as in ERASER, not replaced. The same figures
for a random ranking of the same tokens are the baseline a method has to beat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from worker.attribution.forward import predict_ids
from worker.models.base import TextClassifier

AOPC_PERCENTS = (1, 5, 10, 20, 50)


def _edits(ids: Sequence[int], order: npt.NDArray[np.int64]) -> tuple[list[list[int]], list[list[int]]]:
    removed, kept = [], []
    for pct in AOPC_PERCENTS:
        top = set(order[: max(1, math.ceil(pct / 100 * len(ids)))].tolist())
        removed.append([t for i, t in enumerate(ids) if i not in top])
        kept.append([t for i, t in enumerate(ids) if i in top])
    return removed, kept


def faithfulness(model: TextClassifier, ids: Sequence[int], scores: npt.NDArray[np.float64], predicted: int,
                 p_predicted: float, seed: int = 0) -> dict[str, Any]:
    """AOPC comprehensiveness and sufficiency for `scores` (toward the predicted class), and for random."""
    ranked = np.argsort(-scores, kind="stable")
    shuffled = np.random.default_rng(seed).permutation(len(ids))
    rem, kep = _edits(ids, ranked)
    rrem, rkep = _edits(ids, shuffled)
    probs = predict_ids(model, rem + kep + rrem + rkep)[:, predicted]
    n = len(AOPC_PERCENTS)
    comp = p_predicted - probs[:n]
    suff = p_predicted - probs[n:2 * n]
    return {
        "percents": list(AOPC_PERCENTS),
        "comprehensiveness": float(comp.mean()),
        "sufficiency": float(suff.mean()),
        "comprehensiveness_at": comp.tolist(),
        "sufficiency_at": suff.tolist(),
        "random_comprehensiveness": float((p_predicted - probs[2 * n:3 * n]).mean()),
        "random_sufficiency": float((p_predicted - probs[3 * n:]).mean()),
    }
