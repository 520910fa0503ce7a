"""Early stopping on a validation metric: the rule, and the metric's history read from the database.

The history comes from the committed epoch metrics, not from memory, so a training resumed on another
worker after a crash decides exactly as the first one would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import EpochMetric


@dataclass(frozen=True)
class EarlyStopping:
    metric: str  # val_loss | val_accuracy
    patience: int
    min_delta: float = 0.0

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> EarlyStopping | None:
        """From a train job's `early_stopping` parameter (validated by the API); None when absent."""
        if not params:
            return None
        return cls(metric=str(params["metric"]), patience=int(params["patience"]),
                   min_delta=float(params.get("min_delta", 0.0)))

    @property
    def split(self) -> str:
        return self.metric.split("_", 1)[0]

    def should_stop(self, history: Sequence[float]) -> bool:
        """True when the last `patience` epochs brought no improvement of more than `min_delta` over the
        best value before them (lower loss, higher accuracy)."""
        if not history:
            return False
        sign = 1.0 if self.metric.endswith("loss") else -1.0
        best, since = sign * history[0], 0
        for value in history[1:]:
            if sign * value < best - self.min_delta:
                best, since = sign * value, 0
            else:
                since += 1
        return since >= self.patience

    def history(self, session: Session, version_id: int) -> list[float]:
        column = EpochMetric.loss if self.metric.endswith("loss") else EpochMetric.accuracy
        return list(session.scalars(select(column).where(EpochMetric.version_id == version_id,
                                                         EpochMetric.split == self.split)
                                    .order_by(EpochMetric.epoch)))
