"""Mislabel signals. Each returns a suspicion per sample: higher = more likely mislabelled.

- confident learning (cleanlab) on out-of-sample probabilities: 1 - label quality (self-confidence),
  plus cleanlab's find_label_issues verdict;
- training dynamics across the version's epochs: area under the margin (AUM) on probabilities,
  with dataset-cartography confidence and variability for the explanation;
- latent-neighbourhood disagreement from the population map, when it exists (passed in as is).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def confident_learning(labels: npt.NDArray[np.integer], probs: npt.NDArray[np.floating],
                       ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """(suspicion = 1 - cleanlab's self-confidence label quality, cleanlab's label-issue mask)."""
    # Imported here: cleanlab brings scikit-learn and pandas, which only a ranking needs.
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = np.asarray(labels, dtype=np.int64)
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    probs = probs / probs.sum(axis=1, keepdims=True)
    quality = get_label_quality_scores(labels, probs, method="self_confidence")
    issues = np.zeros(len(labels), dtype=bool)
    # find_label_issues needs every class present, with a few examples each, to estimate thresholds.
    counts = np.bincount(labels, minlength=probs.shape[1])
    if len(labels) >= 10 and (counts >= 2).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                # n_jobs=1: Celery's prefork children are daemonic and may not start a process pool.
                found = find_label_issues(labels, probs, filter_by="prune_by_noise_rate", n_jobs=1)
                issues = np.asarray(found, dtype=bool)
            except (ValueError, ZeroDivisionError) as e:  # degenerate probabilities: keep the scores only
                log.warning("find_label_issues skipped: %s", e)
    return 1.0 - np.asarray(quality, dtype=np.float64), issues


@dataclass(frozen=True)
class Dynamics:
    aum: FloatArray  # mean over epochs of p(label) - max p(other class); low = suspicious
    confidence: FloatArray  # cartography: mean p(label) over epochs
    variability: FloatArray  # cartography: std of p(label) over epochs

    @property
    def suspicion(self) -> FloatArray:
        return (1.0 - self.aum) / 2.0  # AUM lies in [-1, 1]


def training_dynamics(labels: npt.NDArray[np.integer], probs_by_epoch: npt.NDArray[np.floating]) -> Dynamics:
    """probs_by_epoch: (E, N, C), the version's probabilities of every sample after each epoch."""
    probs = np.asarray(probs_by_epoch, dtype=np.float64)
    e, n, _ = probs.shape
    idx = np.arange(n)
    p_label = probs[:, idx, labels]  # (E, N)
    others = probs.copy()
    others[:, idx, labels] = -np.inf
    margin = p_label - others.max(axis=2)
    return Dynamics(aum=margin.mean(axis=0), confidence=p_label.mean(axis=0),
                    variability=p_label.std(axis=0) if e > 1 else np.zeros(n))


def dynamics_from_p_positive(labels: npt.NDArray[np.integer],
                             p_positive: npt.NDArray[np.floating]) -> Dynamics:
    """Binary case from stored per-epoch p(positive), shape (E, N)."""
    p1 = np.asarray(p_positive, dtype=np.float64)
    return training_dynamics(labels, np.stack([1.0 - p1, p1], axis=2))


def neighbourhood(disagreement: npt.NDArray[np.floating] | None, n: int) -> FloatArray | None:
    """The map's per-sample disagreement (fraction of latent neighbours with another label), if any."""
    if disagreement is None:
        return None
    d = np.asarray(disagreement, dtype=np.float64)
    if d.shape != (n,):
        raise ValueError(f"neighbourhood disagreement has shape {d.shape}, expected ({n},)")
    return d
