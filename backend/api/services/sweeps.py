"""Hyperparameter sweeps: creating the trials, reading their results, cancelling what has not finished.

Each trial is an ordinary model version trained by an ordinary train job, so it opens in the dashboard
like any other version (map, analyses, samples). The sweep only adds the link and the summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.schemas.sweeps import (
    EarlyStopping,
    Pruning,
    SweepCounts,
    SweepCreate,
    SweepDetail,
    SweepOut,
    TrialOut,
)
from backend.core.db.models import Dataset, Job, ModelVersion, Sweep
from backend.core.epoch_selection import selected_epochs
from backend.core.jobs.submit import enqueue_all
from backend.core.sweeps.bayes import default_startup
from backend.core.sweeps.pruning import is_pruned, latest_train_jobs
from backend.core.sweeps.space import SpaceError, Trial
from backend.core.sweeps.trials import UNFINISHED, add_trial, next_bayes_trials, rank_metric
from backend.core.vocabulary import ACTIVE_STATES, JobKind, JobState


def check_search_options(body: SweepCreate) -> None:
    """`parallel` and `startup_trials` shape a Bayesian search only: refused elsewhere, not ignored."""
    if body.strategy != "bayes":
        for name in ("parallel", "startup_trials"):
            if getattr(body, name) is not None:
                raise SpaceError(f"{name}: only a Bayesian sweep (strategy 'bayes') takes it")


def create_sweep(session: Session, project_id: int, dataset: Dataset, body: SweepCreate,
                 trials: list[Trial]) -> Sweep:
    """The sweep, one version per trial and one train job per trial, committed together, then enqueued:
    as many trials train at once as there are worker processes. A Bayesian sweep starts with `parallel`
    trials; each later one is asked when a trial finishes (backend/core/sweeps/trials.py)."""
    count = session.scalar(select(func.count(Sweep.id)).where(Sweep.project_id == project_id)) or 0
    early = body.early_stopping.model_dump() if body.early_stopping is not None else {}
    search: dict[str, Any] = {}
    if body.strategy == "bayes":
        assert body.budget is not None  # generate_trials refused a Bayesian sweep without one
        search = {"parallel": body.parallel or 1,
                  "startup_trials": body.startup_trials or default_startup(body.budget), "proposed_by": []}
    sweep = Sweep(project_id=project_id, dataset_id=dataset.id, name=body.name or f"sweep-{count + 1}",
                  architecture=body.architecture, base_hyperparameters=dict(body.hyperparameters),
                  space=dict(body.space), strategy=body.strategy, budget=body.budget, seed=body.seed,
                  epochs=body.epochs, metric=body.metric, early_stopping=early,
                  pruning=body.pruning.model_dump() if body.pruning is not None else {}, search=search,
                  trials=[t.params for t in trials], status="active")
    session.add(sweep)
    session.flush()
    jobs = [add_trial(session, sweep, trial) for trial in trials] + next_bayes_trials(session, sweep)
    enqueue_all(session, jobs)
    return sweep


def cancel_sweep(session: Session, sweep: Sweep) -> None:
    """Revoke the train job of every trial that has not finished and mark its version cancelled.

    A pending job is never started (a worker's claim skips jobs that are no longer active). A running
    one stops at its next progress report: the epochs it already committed are kept (they open like
    any version's), the epoch in progress is dropped. Finished trials are untouched. Idempotent.
    """
    session.execute(select(Sweep.id).where(Sweep.id == sweep.id).with_for_update())
    sweep.status = "cancelled"
    versions = session.scalars(
        select(ModelVersion).where(ModelVersion.sweep_id == sweep.id, ModelVersion.status.in_(UNFINISHED))
    ).all()
    ids = [v.id for v in versions]
    now = datetime.now(UTC)
    for job in session.scalars(select(Job).where(Job.version_id.in_(ids), Job.kind == JobKind.TRAIN,
                                                 Job.state.in_(ACTIVE_STATES))).all():
        job.state, job.message, job.finished_at = JobState.REVOKED, "cancelled with its sweep", now
    for version in versions:
        version.status = "cancelled"
    session.commit()


# --- results ------------------------------------------------------------------------------------

LOWER_IS_BETTER = ("test_loss", "val_loss", "best_val_loss")


def trials_of(session: Session, sweep: Sweep) -> list[TrialOut]:
    versions = session.scalars(
        select(ModelVersion).where(ModelVersion.sweep_id == sweep.id).order_by(ModelVersion.trial_index)
    ).all()
    ids = [v.id for v in versions]
    chosen = selected_epochs(session, ids)
    jobs = latest_train_jobs(session, ids)
    labels = sweep.search.get("proposed_by", []) if sweep.strategy == "bayes" else []
    out = []
    for v in versions:
        index = v.trial_index if v.trial_index is not None else 0
        params = sweep.trials[index] if index < len(sweep.trials) else {}
        job = jobs.get(v.id)
        sel = chosen.get(v.id)
        acc, loss = (sel.accuracy, sel.loss) if sel else ({}, {})
        pruned = v.status == "trained" and is_pruned(job)
        out.append(TrialOut(
            trial_index=index, version_id=v.id, name=v.name, status="pruned" if pruned else v.status,
            params=params, epochs=int(job.params.get("epochs", sweep.epochs)) if job else sweep.epochs,
            epochs_done=v.epochs_done, stopped_early=bool(job and job.result.get("stopped_early")),
            pruned=pruned, pruned_at_epoch=v.epochs_done if pruned else None,
            proposed_by=(labels[index] if index < len(labels) else None) if sweep.strategy == "bayes"
            else sweep.strategy,  # type: ignore[arg-type]
            job_id=job.id if job else None, error=job.error if job else None,
            selected_epoch=sel.epoch if sel else None, selected_by=sel.selected_by if sel else None,
            val_accuracy=acc.get("val"), val_loss=loss.get("val"),
            test_accuracy=acc.get("test"), test_loss=loss.get("test"),
            best_val_accuracy=sel.best_val_accuracy if sel else None,
            best_val_loss=sel.best_val_loss if sel else None,
        ))
    return out


def sort_trials(trials: list[TrialOut], key: str) -> list[TrialOut]:
    """Best first for a metric (highest accuracy, lowest loss), trials without a value last; or by index."""
    if key == "trial":
        return sorted(trials, key=lambda t: t.trial_index)
    sign = 1.0 if key in LOWER_IS_BETTER else -1.0

    def order(t: TrialOut) -> tuple[bool, float, int]:
        value = getattr(t, key)
        return value is None, sign * value if value is not None else 0.0, t.trial_index

    return sorted(trials, key=order)


def sweep_summary(sweep: Sweep, trials: list[TrialOut]) -> SweepOut:
    counts = SweepCounts(total=len(trials))
    for t in trials:
        field = "queued" if t.status == "created" else t.status
        if field in SweepCounts.model_fields and field != "total":
            setattr(counts, field, getattr(counts, field) + 1)
    parallel, startup = _search(sweep)
    if counts.queued or counts.training:
        status = "running"
    elif sweep.strategy == "bayes" and sweep.status == "active" and counts.total < (sweep.budget or 0):
        status = "running"  # between a trial finishing and its successor being asked
    elif sweep.status == "cancelled":
        status = "cancelled"
    elif counts.total and counts.failed == counts.total:
        status = "failed"
    else:
        status = "done"
    metric = rank_metric(sweep)
    ranked = [t for t in sort_trials(trials, metric) if getattr(t, metric) is not None]
    best = ranked[0] if ranked else None
    return SweepOut(
        id=sweep.id, project_id=sweep.project_id, dataset_id=sweep.dataset_id, name=sweep.name,
        architecture=sweep.architecture, base_hyperparameters=sweep.base_hyperparameters, space=sweep.space,
        strategy=sweep.strategy,  # type: ignore[arg-type]
        budget=sweep.budget, parallel=parallel, startup_trials=startup, stopped=sweep.search.get("stopped"),
        seed=sweep.seed, epochs=sweep.epochs,
        metric=metric,  # type: ignore[arg-type]
        early_stopping=EarlyStopping(**sweep.early_stopping) if sweep.early_stopping else None,
        pruning=Pruning(**sweep.pruning) if sweep.pruning else None,
        status=status,  # type: ignore[arg-type]
        counts=counts, best_version_id=best.version_id if best else None,
        best_value=getattr(best, metric) if best else None, created_at=sweep.created_at,
    )


def _search(sweep: Sweep) -> tuple[int | None, int | None]:
    if sweep.strategy != "bayes":
        return None, None
    return (int(sweep.search.get("parallel", 1)),
            int(sweep.search.get("startup_trials", default_startup(sweep.budget or 1))))


def sweep_detail(session: Session, sweep: Sweep, sort: str | None = None) -> SweepDetail:
    trials = trials_of(session, sweep)
    key = sort or rank_metric(sweep)
    summary = sweep_summary(sweep, trials)
    return SweepDetail(**summary.model_dump(), sort=key, trials=sort_trials(trials, key))  # type: ignore[arg-type]
