"""Turning a project's confirmed flags into a version's `data_fixes`.

The training pipeline applies data_fixes to the TRAIN split only, so only flags on train samples go
in; flags on val/test are counted and reported, never silently dropped.

- mode "exclude": every confirmed flag removes its sample.
- mode "relabel": a confirmed flag with a corrected label relabels its sample; one without a
  corrected label is a removal (the same rule as the cleaned-dataset export).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import Flag, ModelVersion, Sample
from backend.core.vocabulary import FlagState, Split

RetrainMode = Literal["relabel", "exclude"]


@dataclass(frozen=True)
class Fixes:
    data_fixes: dict[str, Any]
    excluded: int
    relabelled: int
    outside_train: int  # confirmed flags on val/test samples, which training does not touch


def fixes_from_flags(session: Session, version: ModelVersion, mode: RetrainMode) -> Fixes:
    rows = session.execute(
        select(Flag.sample_id, Flag.corrected_label, Sample.split, Sample.label)
        .join(Sample, Sample.id == Flag.sample_id)
        .where(Flag.project_id == version.project_id, Flag.state == FlagState.CONFIRMED,
               Sample.dataset_id == version.dataset_id)
        .order_by(Flag.sample_id)
    ).all()
    train = [(sid, corrected, label) for sid, corrected, split, label in rows if split == Split.TRAIN]
    exclude: list[int] = []
    relabel: dict[str, int] = {}
    for sid, corrected, label in train:
        if mode == "relabel" and corrected is not None:
            if corrected != label:  # "corrected" to the label it already has: nothing to fix
                relabel[str(sid)] = int(corrected)
        elif mode == "exclude" or corrected is None:
            exclude.append(int(sid))
    fixes: dict[str, Any] = {}
    if exclude:
        fixes["exclude"] = exclude
    if relabel:
        fixes["relabel"] = relabel
    return Fixes(fixes, len(exclude), len(relabel), len(rows) - len(train))
