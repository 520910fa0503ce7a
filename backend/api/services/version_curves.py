"""A version's ROC and precision-recall curves at one epoch: binary from the stored p(class 1), one class
against the rest from the epoch's per-class probabilities (backend.core.class_probabilities)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas.metrics import ClassCurvesOut, CurvePoints, CurvesOut, CurveSplit, MacroCurvesOut
from backend.api.services.class_curves import ClassCurve, Curve, class_curve, macro_average, one_vs_rest
from backend.core.artifacts.store import ArtifactStore
from backend.core.class_probabilities import keeps_class_probabilities, load_class_probabilities
from backend.core.db.models import Dataset, ModelVersion, Sample, SampleResult


class CurvesUnavailable(Exception):
    """The epoch kept no per-class probabilities (trained before they were kept), or not for every sample."""


def version_curves(session: Session, store: ArtifactStore, version: ModelVersion, epoch: int,
                   split: CurveSplit) -> CurvesOut:
    dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    classes = list(dataset.classes)
    if not keeps_class_probabilities(len(classes)):
        q = (select(Sample.label, SampleResult.p_positive)
             .join(SampleResult, SampleResult.sample_id == Sample.id)
             .where(SampleResult.version_id == version.id, SampleResult.epoch == epoch))
        if split != "all":
            q = q.where(Sample.split == split)
        rows = session.execute(q).all()
        labels = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        p_positive = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        curve = class_curve(labels == 1, p_positive)
        return CurvesOut(version_id=version.id, epoch=epoch, split=split, count=len(rows), averaging="binary",
                         classes=classes, curves=[_class_out(1, classes, curve)], macro=None)

    probs = load_class_probabilities(store, version.id, epoch)
    if probs is None:
        raise CurvesUnavailable(f"epoch {epoch} of version {version.id} kept no per-class probabilities "
                                "(it was trained before they were kept); train another epoch or a new version")
    q = select(Sample.index, Sample.label).where(Sample.dataset_id == dataset.id)
    if split != "all":
        q = q.where(Sample.split == split)
    rows = session.execute(q).all()
    index = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    labels = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    if probs.ndim != 2 or probs.shape[1] != len(classes) or index.max(initial=-1) >= len(probs):
        raise CurvesUnavailable(f"epoch {epoch} of version {version.id} kept probabilities of shape "
                                f"{probs.shape}, not one row per sample and one column per class")
    curves = one_vs_rest(labels, probs[index])
    macro = macro_average(curves)
    return CurvesOut(
        version_id=version.id, epoch=epoch, split=split, count=len(rows), averaging="one_vs_rest", classes=classes,
        curves=[_class_out(c, classes, curve) for c, curve in enumerate(curves)],
        macro=MacroCurvesOut(roc_auc=macro.roc_auc, average_precision=macro.average_precision,
                             classes_averaged=macro.classes_averaged, roc=_points(macro.roc)),
    )


def _class_out(index: int, classes: list[str], curve: ClassCurve) -> ClassCurvesOut:
    return ClassCurvesOut(class_index=index, class_name=classes[index] if index < len(classes) else str(index),
                          positives=curve.positives, negatives=curve.negatives, roc_auc=curve.roc_auc,
                          average_precision=curve.average_precision, roc=_points(curve.roc), pr=_points(curve.pr))


def _points(curve: Curve) -> CurvePoints:
    return CurvePoints(x=curve.x, y=curve.y)
