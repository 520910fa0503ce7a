"""Which epoch a version's figures come from: the one validation picks, never one chosen by looking at test.

The version list, a sweep's trials and the CLI show every split at one epoch, so that a test figure is a
held-out estimate of the model that validation chose (the highest val accuracy, ties to the lower val
loss, then the earlier epoch), or of the last epoch when the data has no validation split. Showing the
best test accuracy over epochs would choose the epoch on test and make that figure optimistic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import EpochMetric

SelectedBy = Literal["val_accuracy", "last_epoch"]


@dataclass
class SelectedEpoch:
    epoch: int
    selected_by: SelectedBy
    accuracy: dict[str, float] = field(default_factory=dict)
    loss: dict[str, float] = field(default_factory=dict)
    # Over every epoch, validation only: a sweep may rank by it; test never gets one.
    best_val_accuracy: float | None = None
    best_val_loss: float | None = None


def select_epoch(rows: Iterable[tuple[int, str, float, float]]) -> SelectedEpoch | None:
    """From (epoch, split, loss, accuracy) rows of one version: every split at the epoch val picks."""
    by_epoch: dict[int, dict[str, tuple[float, float]]] = defaultdict(dict)
    for epoch, split, loss, accuracy in rows:
        by_epoch[epoch][split] = (float(loss), float(accuracy))
    if not by_epoch:
        return None
    with_val = [e for e, splits in by_epoch.items() if "val" in splits]
    if with_val:
        def key(e: int) -> tuple[float, float, int]:
            loss, acc = by_epoch[e]["val"]
            return -acc, loss, e
        epoch, how = min(with_val, key=key), "val_accuracy"
    else:
        epoch, how = max(by_epoch), "last_epoch"
    splits = by_epoch[epoch]
    vals = [by_epoch[e]["val"] for e in with_val]
    return SelectedEpoch(
        epoch=epoch, selected_by=how,  # type: ignore[arg-type]
        accuracy={s: a for s, (_, a) in splits.items()}, loss={s: lo for s, (lo, _) in splits.items()},
        best_val_accuracy=max(a for _, a in vals) if vals else None,
        best_val_loss=min(lo for lo, _ in vals) if vals else None,
    )


def selected_epochs(session: Session, version_ids: list[int]) -> dict[int, SelectedEpoch]:
    """select_epoch for several versions in one query."""
    rows: dict[int, list[tuple[int, str, float, float]]] = defaultdict(list)
    if version_ids:
        for vid, epoch, split, loss, accuracy in session.execute(
            select(EpochMetric.version_id, EpochMetric.epoch, EpochMetric.split, EpochMetric.loss,
                   EpochMetric.accuracy).where(EpochMetric.version_id.in_(version_ids))
        ).all():
            rows[vid].append((epoch, split, loss, accuracy))
    out = {}
    for vid, version_rows in rows.items():
        chosen = select_epoch(version_rows)
        if chosen is not None:
            out[vid] = chosen
    return out
