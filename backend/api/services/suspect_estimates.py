"""How precise and complete a suspects list is above a score threshold: the reviewer's own decisions where
there are enough of them, else the synthetic benchmark's measurement.

The default score is a percentile rank within the split, so a threshold is a depth: the share of the split
that passes it. `BENCH_CURVE` holds, per depth, the precision (share of the passing samples that are
mislabelled) and recall (share of all mislabels that pass) `make bench-mislabels` measured on IMDB train
with 5% of labels flipped at random. It transfers only roughly: a dataset with more (or fewer) errors gets
a higher (lower) precision at the same depth, so the view names the source of every figure.

The reviewer's decisions (confirmed vs dismissed flags) estimate precision above the threshold once
MIN_DECISIONS lie there; recall too once as many lie below it (the errors below the threshold are the rate
among the reviewed ones there times the unreviewed count). Reviewers read the top first, so within a side
the estimate leans toward the most suspect samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

MIN_DECISIONS = 5

BENCH_NOTE = ("IMDB train (25,000 reviews), 5% of labels flipped at random; n-gram model, 3 epochs, 5 folds, "
              "NBSVM + NB-weighted TF-IDF word 1-3-gram reference (make bench-mislabels, 2026-12-07, seed 0)")
# (share of the split at or above the threshold, precision, recall): the uniform run of bench/mislabels.py named
# in BENCH_NOTE, its line "default score, top share: precision / recall"; share 0 repeats the shallowest
# precision, and share 1 is exact by definition (everything passes: precision = the noise rate, recall 1).
BENCH_CURVE: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.956, 0.0),
    (0.01, 0.956, 0.191),
    (0.02, 0.916, 0.366),
    (0.03, 0.871, 0.522),
    (0.05, 0.714, 0.714),
    (0.075, 0.548, 0.822),
    (0.1, 0.439, 0.878),
    (0.15, 0.310, 0.929),
    (0.2, 0.240, 0.958),
    (0.3, 0.163, 0.980),
    (1.0, 0.050, 1.0),
)

Source = Literal["reviews", "benchmark"]


@dataclass(frozen=True)
class Estimate:
    precision: float
    precision_source: Source
    recall: float
    recall_source: Source


def _interpolate(share: float, column: int) -> float:
    points = BENCH_CURVE
    if share <= points[0][0]:
        return points[0][column]
    for (x0, *a), (x1, *b) in pairwise(points):
        if share <= x1:
            t = (share - x0) / (x1 - x0)
            return a[column - 1] + t * (b[column - 1] - a[column - 1])
    return points[-1][column]


def benchmark_at(share: float) -> tuple[float, float]:
    """(precision, recall) the benchmark measured at this depth (linear between its depths)."""
    share = min(max(share, 0.0), 1.0)
    return _interpolate(share, 1), _interpolate(share, 2)


def estimate(total: int, passing: int, above: Sequence[bool], below: Sequence[bool]) -> Estimate | None:
    """`above`/`below`: the reviewed samples' decisions (True = confirmed mislabel) at or above the threshold
    and below it. None for an empty split."""
    if total == 0:
        return None
    bench_p, bench_r = benchmark_at(passing / total)
    if len(above) < MIN_DECISIONS:
        return Estimate(precision=bench_p, precision_source="benchmark", recall=bench_r, recall_source="benchmark")
    precision = sum(above) / len(above)
    if len(below) < MIN_DECISIONS:
        return Estimate(precision=precision, precision_source="reviews", recall=bench_r,
                        recall_source="benchmark")
    found = precision * passing
    missed = sum(below) / len(below) * (total - passing)
    recall = found / (found + missed) if found + missed > 0 else 1.0
    return Estimate(precision=precision, precision_source="reviews", recall=recall, recall_source="reviews")
