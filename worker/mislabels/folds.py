"""K-fold assignment of the train rows: stratified by label, seeded, an exact partition."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def assign_folds(labels: npt.NDArray[np.integer], k: int, seed: int) -> npt.NDArray[np.int64]:
    """fold[i] in 0..k-1 for each row. Within each class the rows are shuffled and dealt round-robin,
    so every fold gets the same class mix (±1 row) and each row lands in exactly one fold."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    if len(labels) < k:
        raise ValueError(f"{len(labels)} train samples cannot be split into {k} folds")
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    offset = 0
    for cls in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        # Continue the deal where the previous class stopped, so fold sizes stay balanced overall.
        fold[rows] = (np.arange(len(rows)) + offset) % k
        offset += len(rows)
    return fold


def fold_rows(fold: npt.NDArray[np.int64], f: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(positions the fold model trains on, positions it predicts) for fold f."""
    return np.flatnonzero(fold != f).astype(np.int64), np.flatnonzero(fold == f).astype(np.int64)
