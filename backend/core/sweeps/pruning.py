"""Median pruning: stop a sweep's trial whose validation metric falls behind the finished trials'.

The rule is Optuna's MedianPruner's: after epoch e (past the warm-up), a trial is pruned when its best
value so far is worse than the median of the values the sweep's completed trials had at epoch e, once at
least `min_trials` of them reached that epoch. Pruned trials do not count as completed ones, so one bad
trial never lowers the bar for the next. Like early stopping, the histories are read from the committed
epoch metrics, so a trial resumed on another worker decides exactly as the first would have.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import EpochMetric, Job, ModelVersion
from backend.core.vocabulary import JobKind, JobState


@dataclass(frozen=True)
class MedianPruning:
    sweep_id: int
    metric: str  # accuracy | loss, on the validation split
    warmup_epochs: int = 0
    min_trials: int = 2

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> MedianPruning | None:
        """From a train job's `pruning` parameter (written by the sweep); None when absent."""
        if not params:
            return None
        return cls(sweep_id=int(params["sweep_id"]), metric=str(params["metric"]),
                   warmup_epochs=int(params.get("warmup_epochs", 0)), min_trials=int(params.get("min_trials", 2)))

    def as_params(self) -> dict[str, Any]:
        return {"sweep_id": self.sweep_id, "metric": self.metric, "warmup_epochs": self.warmup_epochs,
                "min_trials": self.min_trials}

    def should_prune(self, own: Sequence[float], completed: Sequence[Sequence[float]]) -> bool:
        """`own`: this trial's values for epochs 1..e; `completed`: the completed trials' histories."""
        epoch = len(own)
        if epoch == 0 or epoch <= self.warmup_epochs:
            return False
        at_epoch = [h[epoch - 1] for h in completed if len(h) >= epoch]
        if len(at_epoch) < self.min_trials:
            return False
        median = statistics.median(at_epoch)
        if self.metric == "loss":
            return min(own) > median
        return max(own) < median

    def check(self, session: Session, version_id: int) -> bool:
        """should_prune with the histories the database holds now."""
        histories = metric_histories(session, self.sweep_id, self.metric)
        own = histories.pop(version_id, [])
        done = completed_trials(session, self.sweep_id)
        return self.should_prune(own, [h for vid, h in histories.items() if vid in done])


def metric_histories(session: Session, sweep_id: int, metric: str) -> dict[int, list[float]]:
    """Per trial of the sweep, its validation `metric` (accuracy | loss) by epoch, from epoch 1 on."""
    column = EpochMetric.loss if metric == "loss" else EpochMetric.accuracy
    rows = session.execute(
        select(EpochMetric.version_id, column)
        .join(ModelVersion, ModelVersion.id == EpochMetric.version_id)
        .where(ModelVersion.sweep_id == sweep_id, EpochMetric.split == "val")
        .order_by(EpochMetric.version_id, EpochMetric.epoch)
    ).all()
    out: dict[int, list[float]] = {}
    for vid, value in rows:
        out.setdefault(vid, []).append(float(value))
    return out


def latest_train_jobs(session: Session, version_ids: Sequence[int]) -> dict[int, Job]:
    """The latest train job of each version (a trial trained further by hand has several)."""
    jobs: dict[int, Job] = {}
    if version_ids:
        for job in session.scalars(select(Job).where(Job.version_id.in_(version_ids), Job.kind == JobKind.TRAIN)
                                   .order_by(Job.id)):
            assert job.version_id is not None
            jobs[job.version_id] = job
    return jobs


def is_pruned(job: Job | None) -> bool:
    return bool(job is not None and job.result.get("pruned"))


def is_settled(job: Job | None) -> bool:
    """A trained version's job has written its result (whether it was pruned): the worker marks the
    version trained a moment before."""
    return job is not None and job.state == JobState.SUCCESS


def completed_trials(session: Session, sweep_id: int) -> set[int]:
    """The sweep's trials that trained to the end (or stopped early), not pruned ones."""
    trained = list(session.scalars(select(ModelVersion.id).where(ModelVersion.sweep_id == sweep_id,
                                                                   ModelVersion.status == "trained")))
    jobs = latest_train_jobs(session, trained)
    return {vid for vid in trained if is_settled(jobs.get(vid)) and not is_pruned(jobs.get(vid))}
