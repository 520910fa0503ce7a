"""Scoring and explaining every sample of one split from its signals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from backend.core.class_names import class_name
from worker.mislabels.combine import rank_average
from worker.mislabels.signals import (
    Dynamics,
    FloatArray,
    confident_learning,
    neighbourhood,
    training_dynamics,
)

# The reference model's share of the probabilities confident learning judges, the version's fold models
# having the rest. Why more than half: the reference is itself two models and the more accurate judge; on a
# held-out noise draw (bench/mislabels.py seed 7, n-gram version, 3 folds, uniform flips) AUROC was 0.9680 at
# 0.5, 0.9703 at 0.75, 0.9704 at 0.8 and 0.9, 0.9697 for the reference alone; the fold models still add a
# little (and stand alone when there is no reference).
REFERENCE_WEIGHT = 0.8


@dataclass(frozen=True)
class SplitInput:
    sample_ids: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    oos_probs: npt.NDArray[np.floating]  # (N, C), out of sample for every row
    classes: Sequence[str]
    probs_by_epoch: npt.NDArray[np.floating] | None = None  # (E, N, C) from the version's epochs
    neighbour_disagreement: npt.NDArray[np.floating] | None = None  # (N,) from the population map
    fold: npt.NDArray[np.int64] | None = None  # (N,) train rows: which fold model scored them
    reference_probs: npt.NDArray[np.floating] | None = None  # (N, C), the reference model, out of sample


@dataclass(frozen=True)
class Ranked:
    sample_ids: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    score: FloatArray  # in [0, 1]; higher = more suspect
    reasons: list[str]
    p_positive: FloatArray
    loss: FloatArray
    label_issue: npt.NDArray[np.bool_]
    suggested: npt.NDArray[np.int64]  # the most likely class other than the label
    p_suggested: FloatArray  # its out-of-sample probability (the two models' mix where both ran)
    signals: dict[str, FloatArray | None]
    weights: dict[str, float]
    fold: npt.NDArray[np.int64] | None = None
    dynamics: Dynamics | None = field(default=None, repr=False)

    @property
    def order(self) -> npt.NDArray[np.int64]:
        """Most suspect first; ties broken by sample id so the order is stable."""
        return np.lexsort((self.sample_ids, -self.score)).astype(np.int64)


def rank_split(inp: SplitInput, weights: Mapping[str, float] | None = None) -> Ranked:
    labels = np.asarray(inp.labels, dtype=np.int64)
    n = len(labels)
    probs = np.asarray(inp.oos_probs, dtype=np.float64)
    ref = np.asarray(inp.reference_probs, dtype=np.float64) if inp.reference_probs is not None else None
    # Two models' out-of-sample opinions, mixed: see worker/mislabels/reference.py for why.
    judged = probs if ref is None else (1.0 - REFERENCE_WEIGHT) * probs + REFERENCE_WEIGHT * ref
    cl, issues = confident_learning(labels, judged)
    dyn = None
    if inp.probs_by_epoch is not None and len(inp.probs_by_epoch) > 0:
        dyn = training_dynamics(labels, inp.probs_by_epoch)
    signals: dict[str, FloatArray | None] = {
        "confident_learning": cl,
        "dynamics": dyn.suspicion if dyn is not None else None,
        "neighbourhood": neighbourhood(inp.neighbour_disagreement, n),
    }
    score, used = rank_average(signals, weights)
    neigh = signals["neighbourhood"]
    if ref is not None:  # stored and shown beside the others; it counts through confident_learning
        signals["reference_model"] = 1.0 - ref[np.arange(n), labels]
    # p_positive and loss are the version's own out-of-sample view (its fold model, or itself off train).
    p_label = np.clip(probs[np.arange(n), labels], 1e-12, 1.0)
    p_positive = probs[:, 1] if probs.shape[1] > 1 else probs[:, 0]
    suggested, p_suggested = most_likely_other(judged, labels)
    reasons = [_reason(i, labels, probs, ref, issues, dyn, neigh, inp.classes) for i in range(n)]
    return Ranked(sample_ids=np.asarray(inp.sample_ids, dtype=np.int64), labels=labels, score=score,
                  reasons=reasons, p_positive=p_positive, loss=-np.log(p_label), label_issue=issues,
                  suggested=suggested, p_suggested=p_suggested, signals=signals, weights=used, fold=inp.fold,
                  dynamics=dyn)


def most_likely_other(probs: npt.NDArray[np.floating], labels: npt.NDArray[np.int64],
                      ) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """(the most probable class other than each row's label, its probability): the class a reviewer would
    relabel to. With two classes it is simply the other one."""
    others = np.asarray(probs, dtype=np.float64).copy()
    others[np.arange(len(labels)), labels] = -np.inf
    suggested = others.argmax(axis=1).astype(np.int64)
    return suggested, others[np.arange(len(labels)), suggested]


def _name(classes: Sequence[str], c: int) -> str:
    return class_name(classes, c)


def _reason(i: int, labels: npt.NDArray[np.int64], probs: FloatArray, ref: FloatArray | None,
            issues: npt.NDArray[np.bool_], dyn: Dynamics | None, neigh: FloatArray | None,
            classes: Sequence[str]) -> str:
    label, pred = int(labels[i]), int(probs[i].argmax())
    parts = []
    if pred != label:
        parts.append(f"labelled {_name(classes, label)} but the out-of-sample model says "
                     f"{_name(classes, pred)} (p={probs[i, pred]:.2f})")
    else:
        parts.append(f"labelled {_name(classes, label)}; out-of-sample p(label)={probs[i, label]:.2f}")
    if ref is not None:
        ref_pred = int(ref[i].argmax())
        parts.append(f"the reference model {'agrees' if ref_pred == pred else 'says ' + _name(classes, ref_pred)}"
                     f" (p(label)={ref[i, label]:.2f})")
    if issues[i]:
        parts.append("cleanlab flags a label issue")
    if dyn is not None:
        parts.append(f"p(label) during training {dyn.confidence[i]:.2f} on average "
                     f"(variability {dyn.variability[i]:.2f}, AUM {dyn.aum[i]:+.2f})")
    if neigh is not None:
        parts.append(f"{neigh[i]:.0%} of its latent neighbours carry another label")
    return "; ".join(parts)
