"""ROC and precision-recall curves of a classifier's scores: binary, or one class against the rest.

Pure numpy (the API installs no scikit-learn), with scikit-learn's definitions: tied scores form one
threshold, ROC AUC is the trapezoidal area, average precision is sum((R_n - R_n-1) * P_n). The
numbers come from every sample; only the points sent for drawing are thinned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Points per drawn curve: a 50k-sample ROC curve has up to 50k corners, far more than a chart shows.
MAX_POINTS = 400


@dataclass(frozen=True)
class Curve:
    x: list[float]
    y: list[float]


@dataclass(frozen=True)
class ClassCurve:
    positives: int
    negatives: int
    roc_auc: float | None  # None with no positive or no negative sample
    average_precision: float | None  # None with no positive sample
    roc: Curve  # x: false positive rate, y: true positive rate
    pr: Curve  # x: recall, y: precision
    # The full-resolution ROC (for the macro average); not sent.
    fpr: npt.NDArray[np.float64]
    tpr: npt.NDArray[np.float64]


@dataclass(frozen=True)
class MacroCurve:
    roc_auc: float | None
    average_precision: float | None
    classes_averaged: int
    roc: Curve


def class_curve(positive: npt.NDArray[np.bool_], scores: npt.NDArray[np.floating],
                max_points: int = MAX_POINTS) -> ClassCurve:
    """Curves of `scores` ranking the `positive` samples above the others."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="mergesort")
    ranked, hits = scores[order], positive[order]
    # The last sample of each run of tied scores: one threshold per distinct score.
    ends = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1] if len(ranked) else np.zeros(0, dtype=np.int64)
    tps = np.cumsum(hits, dtype=np.int64)[ends] if len(ranked) else np.zeros(0, dtype=np.int64)
    fps = ends + 1 - tps
    pos, neg = int(positive.sum()), int(len(positive) - positive.sum())
    fpr = np.r_[0.0, fps / neg if neg else np.zeros(len(fps))]
    tpr = np.r_[0.0, tps / pos if pos else np.zeros(len(tps))]
    roc_auc = float(np.trapezoid(tpr, fpr)) if pos and neg else None
    recall = tps / pos if pos else np.zeros(len(tps))
    precision = tps / np.maximum(tps + fps, 1)
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision)) if pos else None
    return ClassCurve(positives=pos, negatives=neg, roc_auc=roc_auc, average_precision=ap,
                      roc=_thin(fpr, tpr, max_points), pr=_thin(np.r_[0.0, recall], np.r_[1.0, precision], max_points),
                      fpr=fpr, tpr=tpr)


def one_vs_rest(labels: npt.NDArray[np.integer], probs: npt.NDArray[np.floating],
                max_points: int = MAX_POINTS) -> list[ClassCurve]:
    """One curve per column of `probs` (N, C): class c's probability ranking class c against the rest."""
    labels = np.asarray(labels)
    return [class_curve(labels == c, probs[:, c], max_points) for c in range(probs.shape[1])]


def macro_average(curves: Sequence[ClassCurve], max_points: int = MAX_POINTS) -> MacroCurve:
    """Unweighted means over the classes where each number is defined (scikit-learn's macro, one-vs-rest).

    The AUC is the mean of the per-class AUCs, not the area under the mean curve; the mean curve is
    every class's TPR interpolated on one FPR grid, then averaged.
    """
    with_roc = [c for c in curves if c.roc_auc is not None]
    aucs = [c.roc_auc for c in with_roc if c.roc_auc is not None]
    aps = [c.average_precision for c in curves if c.average_precision is not None]
    grid = np.linspace(0.0, 1.0, max_points)
    mean_tpr = np.mean([np.interp(grid, c.fpr, c.tpr) for c in with_roc], axis=0) if with_roc else np.zeros(0)
    return MacroCurve(
        roc_auc=float(np.mean(aucs)) if aucs else None,
        average_precision=float(np.mean(aps)) if aps else None,
        classes_averaged=len(aucs),
        roc=Curve(grid[:len(mean_tpr)].tolist(), mean_tpr.tolist()),
    )


def _thin(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], max_points: int) -> Curve:
    """At most `max_points` of the curve's points, evenly spaced along it, first and last kept."""
    if len(x) > max_points:
        keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(np.int64))
        x, y = x[keep], y[keep]
    return Curve([round(float(v), 6) for v in x], [round(float(v), 6) for v in y])
