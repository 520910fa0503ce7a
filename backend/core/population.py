"""Every sample's facts at an epoch, read once: the population the map stages share (row-aligned with the
latent space, row i = sample index i), and the columns the map's points table adds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import ModelVersion, Sample, SampleResult
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


@dataclass(frozen=True)
class EpochSamples(Population):
    """Every sample with a result at an epoch, by sample index: the population, and what else of each
    sample the map's points table shows."""

    index: npt.NDArray[np.int64]
    score: npt.NDArray[np.int64]  # 0 when unknown
    token_count: npt.NDArray[np.int64]
    truncated: npt.NDArray[np.bool_]


def split_codes(names: Sequence[str]) -> npt.NDArray[np.uint8]:
    lookup: dict[str, int] = {name: i for i, name in enumerate(SPLITS)}
    return np.array([lookup[n] for n in names], dtype=np.uint8)


def load_epoch_samples(session: Session, version: ModelVersion, epoch: int) -> EpochSamples:
    rows = session.execute(
        select(
            Sample.id,
            Sample.index,
            Sample.split,
            Sample.label,
            Sample.score,
            Sample.token_count,
            Sample.truncated,
            SampleResult.prediction,
            SampleResult.p_positive,
            SampleResult.loss,
        )
        .join(SampleResult, SampleResult.sample_id == Sample.id)
        .where(
            Sample.dataset_id == version.dataset_id,
            SampleResult.version_id == version.id,
            SampleResult.epoch == epoch,
        )
        .order_by(Sample.index)
    ).all()
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(10)]
    return EpochSamples(
        sample_ids=np.asarray(cols[0], dtype=np.int64),
        index=np.asarray(cols[1], dtype=np.int64),
        splits=split_codes(cols[2]),
        labels=np.asarray(cols[3], dtype=np.int64),
        score=np.asarray([s or 0 for s in cols[4]], dtype=np.int64),
        token_count=np.asarray(cols[5], dtype=np.int64),
        truncated=np.asarray(cols[6], dtype=bool),
        prediction=np.asarray(cols[7], dtype=np.int64),
        p_positive=np.asarray(cols[8], dtype=np.float32),
        loss=np.asarray(cols[9], dtype=np.float32),
    )
