"""Per-sample facts the map stages share, row-aligned with the latent space (row i = sample index i)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.core.vocabulary import SPLITS


@dataclass(frozen=True)
class Population:
    sample_ids: npt.NDArray[np.int64]
    splits: npt.NDArray[np.uint8]  # codes into SPLITS
    labels: npt.NDArray[np.int64]
    loss: npt.NDArray[np.float32]
    prediction: npt.NDArray[np.int64]
    p_positive: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.sample_ids)

    @property
    def correct(self) -> npt.NDArray[np.bool_]:
        correct: npt.NDArray[np.bool_] = self.prediction == self.labels
        return correct

    def split_mix(self, rows: npt.NDArray[np.int64] | None = None) -> dict[str, int]:
        codes = self.splits if rows is None else self.splits[rows]
        counts = np.bincount(codes, minlength=len(SPLITS))
        return {name: int(counts[i]) for i, name in enumerate(SPLITS)}
