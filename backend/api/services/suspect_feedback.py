"""Reviewer feedback re-ranks the rest: the signals' weights fitted to the decisions made so far.

Each confirmed suspect is a positive example and each dismissed one a negative; a small logistic regression
on the samples' signals (as percentile ranks within the split, the same scale the default score uses) learns
which signals tell real mislabels apart in THIS dataset, and the unreviewed samples are ordered by it. With
fewer than MIN_EACH decisions of either kind the stored order stands: a fit on two points is noise.
Plain numpy (the API imports no ML stack), a few hundred gradient steps on at most a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_EACH = 3
SIGNALS = ("confident_learning", "reference_model", "dynamics", "neighbourhood")


@dataclass(frozen=True)
class Feedback:
    order: npt.NDArray[np.int64]  # positions into the rows, best first
    weights: dict[str, float]  # per signal, on percentile ranks (bias left out)
    confirmed: int
    dismissed: int


def _percentile(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    return ranks / max(len(x) - 1, 1)


def refit(signals: Sequence[dict[str, float | None]], scores: npt.NDArray[np.float64],
          decisions: Sequence[str | None]) -> Feedback | None:
    """The rows re-ordered by a model of the decisions (None when there are too few of them)."""
    y_all = np.array([1.0 if d == "confirmed" else 0.0 if d == "dismissed" else np.nan for d in decisions])
    confirmed, dismissed = int((y_all == 1).sum()), int((y_all == 0).sum())
    if confirmed < MIN_EACH or dismissed < MIN_EACH:
        return None
    names = [k for k in SIGNALS if any(s.get(k) is not None for s in signals)]
    columns = []
    for k in names:
        raw = np.array([np.nan if s.get(k) is None else float(s[k]) for s in signals])  # type: ignore[arg-type]
        raw = np.where(np.isnan(raw), np.nanmedian(raw), raw)
        columns.append(_percentile(raw))
    x = np.column_stack([*columns, np.ones(len(signals))])
    labelled = ~np.isnan(y_all)
    xl, yl = x[labelled], y_all[labelled]
    w = np.zeros(x.shape[1])
    # L2-regularised logistic regression by gradient descent: convex, and small enough to run per request.
    for _ in range(500):
        p = 1.0 / (1.0 + np.exp(-(xl @ w)))
        grad = xl.T @ (p - yl) / len(yl) + 0.01 * np.r_[w[:-1], 0.0]
        w -= 1.0 * grad
    learned = x @ w
    # Ties (and the reviewed rows, which keep their place by the model too) fall back to the stored score.
    order = np.lexsort((-scores, -learned)).astype(np.int64)
    return Feedback(order=order, weights={k: round(float(v), 4) for k, v in zip(names, w[:-1], strict=True)},
                    confirmed=confirmed, dismissed=dismissed)
