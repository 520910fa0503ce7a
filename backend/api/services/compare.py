"""Comparing two versions of one dataset at chosen epochs, from their per-sample results.

Accuracy here is against the dataset's labels for both versions (so that a version trained on
relabelled data is judged on the same yardstick); the flagged samples are also judged against
their corrected label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas.compare import (
    ChangedSample,
    FlaggedMove,
    FlaggedSummary,
    SampleOutcome,
    SplitComparison,
    SplitFigures,
    VersionComparison,
)
from backend.core.class_names import class_name
from backend.core.db.models import Dataset, Flag, ModelVersion, Sample, SampleResult
from backend.core.vocabulary import SPLITS


@dataclass(frozen=True)
class Results:
    """One version's results at one epoch, aligned on sample id (ascending)."""

    sample_id: npt.NDArray[np.int64]
    loss: npt.NDArray[np.float64]
    p_positive: npt.NDArray[np.float64]
    prediction: npt.NDArray[np.int64]

    def outcome(self, i: int) -> SampleOutcome:
        return SampleOutcome(loss=float(self.loss[i]), p_positive=float(self.p_positive[i]),
                             prediction=int(self.prediction[i]))


def load_results(session: Session, version_id: int, epoch: int) -> Results:
    rows = session.execute(
        select(SampleResult.sample_id, SampleResult.loss, SampleResult.p_positive, SampleResult.prediction)
        .where(SampleResult.version_id == version_id, SampleResult.epoch == epoch)
        .order_by(SampleResult.sample_id)
    ).all()
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return Results(np.asarray(cols[0], dtype=np.int64), np.asarray(cols[1], dtype=np.float64),
                   np.asarray(cols[2], dtype=np.float64), np.asarray(cols[3], dtype=np.int64))


def compare_versions(session: Session, va: ModelVersion, vb: ModelVersion, epoch_a: int, epoch_b: int,
                     limit: int) -> VersionComparison:
    ra, rb = load_results(session, va.id, epoch_a), load_results(session, vb.id, epoch_b)
    common, ia, ib = np.intersect1d(ra.sample_id, rb.sample_id, assume_unique=True, return_indices=True)
    meta = session.execute(
        select(Sample.id, Sample.split, Sample.label).where(Sample.dataset_id == va.dataset_id)
    ).all()
    dataset = session.get(Dataset, va.dataset_id)
    classes = list(dataset.classes) if dataset is not None else []
    split_of = {sid: split for sid, split, _ in meta}
    label_of = {sid: label for sid, _, label in meta}
    labels = np.array([label_of[int(s)] for s in common], dtype=np.int64)
    splits = np.array([split_of[int(s)] for s in common])
    pa, pb = ra.prediction[ia], rb.prediction[ib]
    right_a, right_b = pa == labels, pb == labels
    changed_mask = pa != pb

    per_split = []
    for split in SPLITS:
        m = splits == split
        if not m.any():
            continue
        n = int(m.sum())
        per_split.append(SplitComparison(
            split=split,
            a=SplitFigures(accuracy=float(right_a[m].mean()), loss=float(ra.loss[ia][m].mean()), count=n),
            b=SplitFigures(accuracy=float(right_b[m].mean()), loss=float(rb.loss[ib][m].mean()), count=n),
            changed=int(changed_mask[m].sum()), fixed=int((~right_a & right_b)[m].sum()),
            broken=int((right_a & ~right_b)[m].sum()),
        ))

    changed = [
        ChangedSample(sample_id=int(common[j]), split=str(splits[j]), label=int(labels[j]),
                      label_name=class_name(classes, int(labels[j])), a=ra.outcome(int(ia[j])),
                      b=rb.outcome(int(ib[j])))
        for j in np.flatnonzero(changed_mask)[:limit]
    ]
    flagged = _flagged(session, va, vb, common, ia, ib, ra, rb, split_of, label_of, classes)
    losses_a = [f.a.loss for f in flagged]
    losses_b = [f.b.loss for f in flagged]
    summary = FlaggedSummary(
        count=len(flagged), agree_a=sum(f.agrees_a for f in flagged),
        agree_b=sum(f.agrees_b for f in flagged),
        mean_loss_a=float(np.mean(losses_a)) if losses_a else None,
        mean_loss_b=float(np.mean(losses_b)) if losses_b else None,
    )
    return VersionComparison(a=va.id, b=vb.id, epoch_a=epoch_a, epoch_b=epoch_b, classes=classes, splits=per_split,
                             changed_total=int(changed_mask.sum()), changed=changed,
                             flagged_summary=summary, flagged=flagged)


def _flagged(session: Session, va: ModelVersion, vb: ModelVersion, common: npt.NDArray[np.int64],
             ia: npt.NDArray[np.int64], ib: npt.NDArray[np.int64], ra: Results, rb: Results,
             split_of: dict[int, str], label_of: dict[int, int], classes: list[str]) -> list[FlaggedMove]:
    flags = session.scalars(
        select(Flag).join(Sample, Sample.id == Flag.sample_id)
        .where(Flag.project_id == va.project_id, Sample.dataset_id == va.dataset_id)
        .order_by(Flag.sample_id)
    ).all()
    pos = {int(s): j for j, s in enumerate(common)}
    excluded = {int(s) for s in vb.data_fixes.get("exclude", [])}
    relabelled = {int(s) for s in vb.data_fixes.get("relabel", {})}
    out = []
    for f in flags:
        j = pos.get(f.sample_id)
        if j is None:
            continue
        a, b = ra.outcome(int(ia[j])), rb.outcome(int(ib[j]))
        target = f.corrected_label if f.corrected_label is not None else label_of[f.sample_id]
        out.append(FlaggedMove(sample_id=f.sample_id, split=split_of[f.sample_id], state=f.state,
                               label=label_of[f.sample_id], label_name=class_name(classes, label_of[f.sample_id]),
                               corrected_label=f.corrected_label, target=target,
                               corrected_name=class_name(classes, f.corrected_label)
                               if f.corrected_label is not None else None,
                               a=a, b=b, agrees_a=a.prediction == target, agrees_b=b.prediction == target,
                               excluded_in_b=f.sample_id in excluded,
                               relabelled_in_b=f.sample_id in relabelled))
    return out
