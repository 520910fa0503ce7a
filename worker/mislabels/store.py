"""Where a ranking's pieces live and how the final ranking is assembled and stored.

Artifacts under `versions/{vid}/suspects/{rid}/`:
- `plan.npz`: the cross-validation plan (train rows by sample index, their fold, their labels);
- `fold_{f}.npy`: fold f's out-of-sample probabilities (n_f, C) for its held-out rows, in plan order;
- `reference_{f}.npy`: the same rows' probabilities from the reference model (worker/mislabels/reference.py)
  fitted on the same training rows.
The final scores go to the `suspect_score` table in one transaction with the ranking's status.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from backend.core.artifacts import keys
from backend.core.artifacts.keys import fold_key, reference_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.class_probabilities import load_class_probabilities
from backend.core.db.base import utcnow
from backend.core.db.models import Dataset, ModelVersion, Sample, SampleResult, SuspectRanking, SuspectScore
from backend.core.vocabulary import SPLITS, Split
from worker.mislabels import reference
from worker.mislabels.combine import DEFAULT_WEIGHTS
from worker.mislabels.folds import fold_rows
from worker.mislabels.ranking import Ranked, SplitInput, rank_split
from worker.pipeline.data import apply_data_fixes


@dataclass(frozen=True)
class CvPlan:
    train_index: npt.NDArray[np.int64]  # sample index of each train row, ascending
    fold: npt.NDArray[np.int64]  # fold of each train row
    labels: npt.NDArray[np.int64]  # the label each train row is trained on and scored against

    def held_out(self, f: int) -> npt.NDArray[np.int64]:
        """Sample indices that fold f's model predicts (and never trains on)."""
        return self.train_index[fold_rows(self.fold, f)[1]]

    def trained_on(self, f: int) -> npt.NDArray[np.int64]:
        return self.train_index[fold_rows(self.fold, f)[0]]


def save_plan(store: ArtifactStore, version_id: int, ranking_id: int, plan: CvPlan) -> None:
    buf = io.BytesIO()
    np.savez(buf, train_index=plan.train_index, fold=plan.fold, labels=plan.labels)
    store.put_bytes(keys.plan_key(version_id, ranking_id), buf.getvalue())


def load_plan(store: ArtifactStore, version_id: int, ranking_id: int) -> CvPlan:
    with np.load(io.BytesIO(store.get_bytes(keys.plan_key(version_id, ranking_id)))) as z:
        return CvPlan(train_index=z["train_index"].astype(np.int64), fold=z["fold"].astype(np.int64),
                      labels=z["labels"].astype(np.int64))


def neighbour_disagreement(store: ArtifactStore, version_id: int, epoch: int,
                           n: int) -> npt.NDArray[np.float64] | None:
    """The population map's per-sample disagreement for this epoch, if the map was computed."""
    try:
        d = store.get_array(keys.map_array_key(keys.map_prefix(version_id, epoch), "neighbor_disagreement"))
    except KeyError:
        return None
    return np.asarray(d, dtype=np.float64) if d.shape == (n,) else None


def gather_inputs(session: Session, store: ArtifactStore, version: ModelVersion,
                  ranking: SuspectRanking) -> dict[str, SplitInput]:
    """Out-of-sample probabilities of every class for every sample of the ranked splits (fold models for
    train, the version at the ranking's epoch for val/test), the version's per-epoch probabilities, and
    the map's disagreement."""
    dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    classes = list(dataset.classes) or ["0", "1"]
    c = len(classes)
    rows = session.execute(select(Sample.index, Sample.id, Sample.split, Sample.label)
                           .where(Sample.dataset_id == dataset.id).order_by(Sample.index)).all()
    n = len(rows)
    sample_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    splits = np.array([r[2] for r in rows])
    stored_labels = np.fromiter((r[3] for r in rows), dtype=np.int64, count=n)
    # Scored against the labels the version trains on (relabels applied), as the fold models were.
    train_rows, train_labels = apply_data_fixes(version.data_fixes or {}, sample_ids, stored_labels, splits, c)
    labels = np.asarray(train_labels, dtype=np.int64).copy()
    wanted = np.isin(splits, ranking.splits)

    probs = np.full((n, c), np.nan)
    ref: npt.NDArray[np.float64] | None = np.full((n, c), np.nan)
    fold_of = np.full(n, -1, dtype=np.int64)
    if ranking.folds:
        plan = load_plan(store, version.id, ranking.id)
        labels[plan.train_index] = plan.labels
        for f in range(ranking.folds):
            held = plan.held_out(f)
            p = store.get_array(fold_key(version.id, ranking.id, f))
            if p.shape != (len(held), c):
                raise ValueError(f"fold {f} predicted {p.shape}, expected ({len(held)}, {c})")
            probs[held] = p
            fold_of[held] = f
            if ref is not None:
                try:
                    ref[held] = store.get_array(reference_key(version.id, ranking.id, f))
                except KeyError:  # a fold stored before the reference model existed: rank without it
                    ref = None

    by_epoch = _probs_by_epoch(session, store, version.id, ranking.epoch, sample_ids, c)  # (E, N, C)
    held_out = (splits != Split.TRAIN) & wanted
    probs[held_out] = by_epoch[-1][held_out]
    if np.isnan(probs[wanted]).any():
        raise ValueError("some samples have no out-of-sample prediction (fold outputs incomplete)")
    if ref is not None and held_out.any():
        # val and test: the reference fitted on everything the version trains on, as the version is.
        ref[held_out] = reference.predict_rows(reference.TextsByRow(session, dataset.id), train_rows,
                                               train_labels, np.flatnonzero(held_out), c)
    neigh = neighbour_disagreement(store, version.id, ranking.epoch, n)
    out: dict[str, SplitInput] = {}
    for split in SPLITS:
        m = (splits == split) & wanted
        if not m.any():
            continue
        out[split] = SplitInput(
            sample_ids=sample_ids[m], labels=labels[m], oos_probs=probs[m], classes=classes,
            reference_probs=ref[m] if ref is not None else None,
            probs_by_epoch=by_epoch[:, m], neighbour_disagreement=neigh[m] if neigh is not None else None,
            fold=fold_of[m] if split == Split.TRAIN else None)
    return out


def _probs_by_epoch(session: Session, store: ArtifactStore, version_id: int, last_epoch: int,
                    sample_ids: npt.NDArray[np.int64], num_classes: int) -> npt.NDArray[np.float64]:
    """(E, N, C): every class's probability of every sample after each epoch. Two classes come from the
    result rows' p(class 1); three or more from the epoch's class-probability artifact."""
    if num_classes > 2:
        out = []
        for epoch in range(1, last_epoch + 1):
            p = load_class_probabilities(store, version_id, epoch)
            if p is None or p.shape != (len(sample_ids), num_classes):
                raise ValueError(f"version {version_id} kept no per-class probabilities at epoch {epoch}; "
                                 "retrain it to rank its samples")
            out.append(np.asarray(p, dtype=np.float64))
        return np.stack(out)
    position = {int(s): i for i, s in enumerate(sample_ids)}
    p1 = []
    for epoch in range(1, last_epoch + 1):
        p = np.full(len(sample_ids), np.nan)
        for sid, pp in session.execute(select(SampleResult.sample_id, SampleResult.p_positive).where(
                SampleResult.version_id == version_id, SampleResult.epoch == epoch)):
            p[position[sid]] = pp
        if np.isnan(p).any():
            raise ValueError(f"version {version_id} has no results for some samples at epoch {epoch}")
        p1.append(p)
    return np.stack([np.stack([1 - p, p], axis=1) for p in p1])


def rank_all(inputs: dict[str, SplitInput], weights: dict[str, float] | None = None) -> dict[str, Ranked]:
    """Each split is ranked on its own: fold models and the full model are calibrated differently."""
    return {split: rank_split(inp, weights) for split, inp in inputs.items()}


def write_ranking(session: Session, ranking: SuspectRanking, ranked: dict[str, Ranked]) -> dict[str, Any]:
    session.execute(delete(SuspectScore).where(SuspectScore.ranking_id == ranking.id))
    rows: list[dict[str, Any]] = []
    for split, r in ranked.items():
        for i in range(len(r.sample_ids)):
            rows.append({
                "ranking_id": ranking.id, "sample_id": int(r.sample_ids[i]), "split": split,
                "label": int(r.labels[i]), "score": float(r.score[i]), "reason": r.reasons[i],
                "p_positive": float(r.p_positive[i]), "loss": float(r.loss[i]),
                "fold": int(r.fold[i]) if r.fold is not None else None,
                "label_issue": bool(r.label_issue[i]),
                "suggested_label": int(r.suggested[i]), "p_suggested": float(r.p_suggested[i]),
                "signals": {k: None if v is None else round(float(v[i]), 6) for k, v in r.signals.items()},
            })
    for start in range(0, len(rows), 5000):
        session.execute(insert(SuspectScore), rows[start:start + 5000])
    method = {
        "splits": ranking.splits,
        "combination": "weighted mean of per-split percentile ranks; by default confident learning alone, the "
                       "other signals shown as evidence (see worker/mislabels/combine.py)",
        "default_weights": DEFAULT_WEIGHTS,
        "weights": {split: r.weights for split, r in ranked.items()},
        "signals": {
            "confident_learning": "1 - cleanlab self-confidence on out-of-sample probabilities (the mean of "
                                  "the version's fold models and the reference model where it ran)",
            "reference_model": "1 - p(label) from the reference model (NBSVM and NB-weighted TF-IDF "
                               "logistic regressions on word 1-3-grams, averaged), out of sample; shown, and "
                               "counted through confident_learning",
            "dynamics": "area under the margin of p(label) over the version's epochs",
            "neighbourhood": "share of latent neighbours with another label (population map)",
        },
        "label_issues": {split: int(r.label_issue.sum()) for split, r in ranked.items()},
    }
    ranking.method = method
    ranking.status = "done"
    ranking.finished_at = utcnow()
    return {"ranking_id": ranking.id, "samples": len(rows), "label_issues": method["label_issues"]}
