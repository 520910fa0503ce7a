"""A sweep's trials: creating one (a version and its train job), and a Bayesian sweep's next ones.

Shared by the API, which creates the first trials with the sweep, and the worker, which asks a Bayesian
sweep's next trial when one finishes (`continue_sweep`), so that TPE proposes from the results so far.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.db.models import Job, ModelVersion, Sweep
from backend.core.epoch_selection import SelectedEpoch, selected_epochs
from backend.core.jobs.submit import create_job, enqueue_all
from backend.core.sweeps.bayes import Finished, TrialState, default_startup, propose, proposed_by
from backend.core.sweeps.pruning import MedianPruning, is_pruned, is_settled, latest_train_jobs, metric_histories
from backend.core.sweeps.space import SpaceError, Trial, dimensions, make_trial
from backend.core.vocabulary import JobKind

log = logging.getLogger(__name__)

# Statuses of a trial's version that are not final.
UNFINISHED = ("created", "queued", "training")
METRICS = ("val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss")


def rank_metric(sweep: Sweep) -> str:
    """The sweep's ranking metric; sweeps created when test could rank trials are read by val accuracy."""
    return sweep.metric if sweep.metric in METRICS else "val_accuracy"


def maximize(metric: str) -> bool:
    return not metric.endswith("loss")


def pruning_metric(sweep: Sweep) -> str:
    """What pruning compares per epoch: validation loss for a loss-ranked sweep, else accuracy."""
    return "accuracy" if maximize(rank_metric(sweep)) else "loss"


def metric_value(sweep: Sweep, selected: SelectedEpoch | None) -> float | None:
    if selected is None:
        return None
    metric = rank_metric(sweep)
    if metric == "val_accuracy":
        return selected.accuracy.get("val")
    if metric == "val_loss":
        return selected.loss.get("val")
    return selected.best_val_accuracy if metric == "best_val_accuracy" else selected.best_val_loss


def add_trial(session: Session, sweep: Sweep, trial: Trial) -> Job:
    """The trial's version and its (not yet enqueued) train job, with the sweep's stopping rules."""
    version = ModelVersion(
        project_id=sweep.project_id, dataset_id=sweep.dataset_id, name=f"{sweep.name}-t{trial.index}",
        architecture=sweep.architecture, hyperparameters=trial.hyperparameters, seed=sweep.seed,
        status="queued", data_fixes={}, graph={}, sweep_id=sweep.id, trial_index=trial.index,
    )
    session.add(version)
    session.flush()
    params: dict[str, Any] = {"epochs": trial.epochs}
    if sweep.early_stopping:
        params["early_stopping"] = dict(sweep.early_stopping)
    if sweep.pruning:
        params["pruning"] = MedianPruning(sweep_id=sweep.id, metric=pruning_metric(sweep),
                                          **sweep.pruning).as_params()
    return create_job(session, JobKind.TRAIN, project_id=sweep.project_id, version_id=version.id,
                      dataset_id=sweep.dataset_id, params=params)


def history(session: Session, sweep: Sweep) -> list[Finished]:
    """The sweep's finished trials as the sampler sees them (trials still running are left out)."""
    versions = session.scalars(select(ModelVersion).where(ModelVersion.sweep_id == sweep.id)
                               .order_by(ModelVersion.trial_index)).all()
    ids = [v.id for v in versions if v.status not in UNFINISHED]
    jobs = latest_train_jobs(session, ids)
    done = [v for v in versions if v.id in jobs and (v.status != "trained" or is_settled(jobs[v.id]))]
    chosen = selected_epochs(session, ids)
    per_epoch = metric_histories(session, sweep.id, pruning_metric(sweep))
    out = []
    for v in done:
        index = v.trial_index or 0
        params = sweep.trials[index] if index < len(sweep.trials) else {}
        value = metric_value(sweep, chosen.get(v.id))
        state: TrialState
        if v.status == "trained" and is_pruned(jobs.get(v.id)):
            state = "pruned"
        elif v.status == "trained" and value is not None:
            state = "complete"
        else:
            state = "failed"  # failed, cancelled, or no validation figure to learn from
        epochs = {e: x for e, x in enumerate(per_epoch.get(v.id, []), start=1)}
        out.append(Finished(params=params, state=state, value=value, per_epoch=epochs))
    return out


def search_options(sweep: Sweep) -> tuple[int, int]:
    """A Bayesian sweep's (parallel, startup_trials)."""
    budget = sweep.budget or 1
    return int(sweep.search.get("parallel", 1)), int(sweep.search.get("startup_trials", default_startup(budget)))


def next_bayes_trials(session: Session, sweep: Sweep) -> list[Job]:
    """Create the trials a Bayesian sweep should run now (not committed, not enqueued): as many as keep
    `parallel` in flight, within the budget. Nothing for other sweeps or one no longer active."""
    if sweep.strategy != "bayes" or sweep.status != "active" or sweep.budget is None:
        return []
    parallel, startup = search_options(sweep)
    statuses = list(session.scalars(select(ModelVersion.status).where(ModelVersion.sweep_id == sweep.id)))
    running = sum(1 for s in statuses if s in UNFINISHED)
    wanted = min(parallel - running, sweep.budget - len(statuses))
    if wanted <= 0:
        return []
    past = history(session, sweep)
    dims = dimensions(sweep.architecture, sweep.space)
    trials, labels, jobs = list(sweep.trials), list(sweep.search.get("proposed_by", [])), []
    for _ in range(wanted):
        index = len(trials)
        point = propose(dims, past, seed=sweep.seed, index=index, startup=startup,
                        maximize=maximize(rank_metric(sweep)))
        labels.append(proposed_by(past, startup))
        trial = make_trial(sweep.architecture, sweep.base_hyperparameters, index, point, sweep.epochs)
        trials.append(trial.params)
        jobs.append(add_trial(session, sweep, trial))
    # New lists: the JSON columns are only written when the attribute is assigned.
    sweep.trials = trials
    sweep.search = {**sweep.search, "proposed_by": labels}
    return jobs


def continue_sweep(session: Session, sweep_id: int) -> list[Job]:
    """After a trial finished: create and enqueue a Bayesian sweep's next trials. Serialised on the
    sweep's row, so that two trials finishing together never both ask for the last slot. A proposal the
    architecture rejects ends the sweep with the reason, rather than failing the finished trial's job."""
    sweep = session.scalars(select(Sweep).where(Sweep.id == sweep_id).with_for_update()).first()
    if sweep is None:
        return []
    try:
        jobs = next_bayes_trials(session, sweep)
    except IntegrityError:
        session.rollback()  # another worker added that trial first (SQLite has no row lock to wait on)
        return []
    except SpaceError as e:
        session.rollback()
        sweep = session.get(Sweep, sweep_id)
        assert sweep is not None
        log.warning("sweep %s: %s", sweep_id, e)
        sweep.status = "finished"
        sweep.search = {**sweep.search, "stopped": str(e)}
        session.commit()
        return []
    if not jobs:
        session.commit()  # release the lock
        return []
    return enqueue_all(session, jobs)


def continue_active_sweeps(session: Session) -> list[Job]:
    """`continue_sweep` for every active Bayesian sweep: a worker that died between finishing a trial and
    asking the next one would otherwise leave its sweep waiting (run when a worker starts)."""
    ids = list(session.scalars(select(Sweep.id).where(Sweep.strategy == "bayes", Sweep.status == "active")))
    jobs: list[Job] = []
    for sweep_id in ids:
        jobs += continue_sweep(session, sweep_id)
    return jobs
