"""Hyperparameter sweeps: a search space trained as one version per trial, in parallel on the workers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from backend.api.deps import SessionDep
from backend.api.errors import Unprocessable
from backend.api.guard import ProjectDep, SweepDep, checked_body, project_in_path
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.lookups import training_dataset
from backend.api.schemas.sweeps import SweepCreate, SweepDetail, SweepOut, TrialSort
from backend.api.services.sweeps import (
    cancel_sweep,
    check_search_options,
    create_sweep,
    sweep_detail,
    sweep_summary,
    trials_of,
)
from backend.core.db.models import Sweep
from backend.core.sweeps.space import SpaceError, generate_trials

router = APIRouter(tags=["sweeps"])

NewSweep = Annotated[SweepCreate, Depends(checked_body(SweepCreate, project_in_path))]


@router.post("/projects/{project_id}/sweeps", status_code=201, operation_id="createSweep",
             dependencies=[rate_limit("train")], responses=RATE_LIMITED)
def create(project: ProjectDep, body: NewSweep, session: SessionDep) -> SweepDetail:
    """Create the sweep and every trial (a version each) and enqueue one train job per trial.

    422 when the space is malformed or can produce invalid hyperparameters (the message names the trial),
    or when a grid has more trials than the budget. A Bayesian sweep (`bayes`) creates its first `parallel`
    trials now and each later one when a trial finishes, asked from TPE given the results so far."""
    try:
        check_search_options(body)
        trials = generate_trials(body.architecture, body.hyperparameters, body.space, body.strategy, body.budget,
                                 body.seed, body.epochs)
    except SpaceError as e:
        raise Unprocessable(str(e)) from e
    dataset = training_dataset(session, project, body.dataset_id)
    try:
        sweep = create_sweep(session, project.id, dataset, body, trials)
    except SpaceError as e:  # a Bayesian sweep's first proposal the architecture rejects: nothing is kept
        session.rollback()
        raise Unprocessable(str(e)) from e
    return sweep_detail(session, sweep)


@router.get("/projects/{project_id}/sweeps", operation_id="listSweeps")
def list_sweeps(project: ProjectDep, session: SessionDep) -> list[SweepOut]:
    sweeps = session.scalars(select(Sweep).where(Sweep.project_id == project.id).order_by(Sweep.id)).all()
    return [sweep_summary(s, trials_of(session, s)) for s in sweeps]


@router.get("/sweeps/{sweep_id}", operation_id="getSweep")
def get_sweep(sweep: SweepDep, session: SessionDep, sort: TrialSort | None = None) -> SweepDetail:
    """The sweep with its trials, best first by `sort` (default: the sweep's metric; `trial`: by index)."""
    return sweep_detail(session, sweep, sort)


@router.post("/sweeps/{sweep_id}/cancel", operation_id="cancelSweep")
def cancel(sweep: SweepDep, session: SessionDep) -> SweepDetail:
    """Stop every trial that has not finished: pending ones never start, running ones stop at their next
    progress report keeping the epochs they finished. Finished trials are kept. Idempotent."""
    cancel_sweep(session, sweep)
    return sweep_detail(session, sweep)
