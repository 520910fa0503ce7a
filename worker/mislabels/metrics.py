"""How well a ranking finds known mislabels: precision@k, recall@k, AUROC."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from worker.mislabels.combine import percentile_rank


def precision_recall_at_k(scores: npt.NDArray[np.floating], is_flipped: npt.NDArray[np.bool_],
                          k: int) -> tuple[float, float]:
    top = np.argsort(-np.asarray(scores), kind="mergesort")[:k]
    hits = int(np.asarray(is_flipped)[top].sum())
    total = int(np.asarray(is_flipped).sum())
    return hits / max(k, 1), hits / max(total, 1)


def auroc(scores: npt.NDArray[np.floating], is_flipped: npt.NDArray[np.bool_]) -> float:
    """Probability that a flipped sample outranks a clean one (ties count half), via ranks (Mann-Whitney)."""
    y = np.asarray(is_flipped, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    n = len(y)
    ranks = percentile_rank(np.asarray(scores)) * (n - 1) + 1  # 1-based average ranks
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))
