"""The suspects job and its K fold jobs, without a chord.

- The parent job ("suspects") writes the cross-validation plan, creates one "suspects_fold" job per
  fold and enqueues them, then RELEASES its lease (worker and heartbeat cleared, state PROGRESS):
  it is waiting, not running, so orphan recovery leaves it alone.
- Each fold job trains its fold model and stores its held-out probabilities, then calls
  `maybe_finalize`. So does the parent right after releasing (a fold may finish before that).
- `maybe_finalize` counts the finished folds; when all K are done it claims the parent's lease.
  The claim is a compare-and-set, so exactly one caller ranks; the others see a held or finished job.
- A failed fold fails the parent and the ranking. A finaliser that dies leaves a stale lease on the
  parent; recovery re-enqueues the parent task, which finds all folds done and finalizes.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store, keys
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.base import utcnow
from backend.core.db.models import Job, ModelVersion, SuspectRanking
from backend.core.db.session import default_session_factory
from backend.core.jobs.submit import create_job, enqueue
from backend.core.vocabulary import ACTIVE_STATES, JobKind, JobState
from worker.job_runner import JobContext, run_job
from worker.mislabels import reference
from worker.mislabels import store as ranking_store
from worker.mislabels.cross_val import fold_training_rows, make_plan, predict_fold
from worker.pipeline.data import load_training_data
from worker.pipeline.device import pick_device

log = logging.getLogger(__name__)


def fold_jobs(session: Session, parent: Job) -> list[Job]:
    jobs = session.scalars(select(Job).where(Job.kind == JobKind.SUSPECTS_FOLD, Job.version_id == parent.version_id)
                           .order_by(Job.id)).all()
    return [j for j in jobs if j.params.get("parent_job_id") == parent.id]


# -- parent ---------------------------------------------------------------------------------------

def run_parent(job_id: int, factory: sessionmaker[Session] | None = None,
               store: ArtifactStore | None = None) -> None:
    factory = factory or default_session_factory()
    store = store or get_store()
    with run_job(job_id, factory) as ctx:
        if ctx is None:
            return
        ranking_id = int(ctx.params()["ranking_id"])
        try:
            folds = _start_folds(ctx, store)
        except Exception:
            mark_ranking_failed(factory, ranking_id)
            raise
        ctx.progress(0.0, f"{folds} fold models queued" if folds else "ranking", folds=folds)
        _release(ctx)
    maybe_finalize(job_id, factory, store)


def _start_folds(ctx: JobContext, store: ArtifactStore) -> int:
    """Write the plan (first time only) and create + enqueue the fold jobs that don't exist yet."""
    with ctx.factory() as s:
        parent = ctx.job(s)
        version = s.get(ModelVersion, parent.version_id)
        ranking = s.get(SuspectRanking, parent.params["ranking_id"])
        assert version is not None and ranking is not None
        if ranking.folds == 0:  # train not asked for: no fold models, the parent ranks at once
            return 0
        existing = {int(j.params["fold"]) for j in fold_jobs(s, parent)}
        if not existing:
            _write_plan(s, store, version, ranking)
        for f in range(ranking.folds):
            if f in existing:
                continue
            job = create_job(s, JobKind.SUSPECTS_FOLD, project_id=parent.project_id, version_id=parent.version_id,
                             dataset_id=parent.dataset_id,
                             params={"parent_job_id": parent.id, "ranking_id": ranking.id, "fold": f,
                                     "folds": ranking.folds, "epoch": ranking.epoch})
            enqueue(s, job)
        return ranking.folds


def _write_plan(session: Session, store: ArtifactStore, version: ModelVersion,
                ranking: SuspectRanking) -> None:
    data = load_training_data(session, version, store)
    ranking_store.save_plan(store, version.id, ranking.id, make_plan(data, ranking.folds, version.seed))


def _release(ctx: JobContext) -> None:
    """Give the parent's lease back while the folds run (see the module docstring)."""
    with ctx.factory() as s:
        s.execute(update(Job).where(Job.id == ctx.job_id, Job.worker == ctx.me)
                  .values(worker=None, heartbeat_at=None))
        s.commit()


# -- folds ----------------------------------------------------------------------------------------

def run_fold(job_id: int, factory: sessionmaker[Session] | None = None,
             store: ArtifactStore | None = None) -> None:
    factory = factory or default_session_factory()
    store = store or get_store()
    params: dict[str, Any] | None = None
    with run_job(job_id, factory) as ctx:
        if ctx is None:
            return
        params = ctx.params()
        _train_and_predict_fold(ctx, params, store)
    if params is None:
        return
    parent_id = int(params["parent_job_id"])
    with factory() as s:
        job = s.get(Job, job_id)
        state, error = (job.state, job.error) if job is not None else (JobState.FAILURE, "fold job vanished")
    if state == JobState.FAILURE:
        fail_parent(factory, parent_id, f"fold {params['fold']} failed: {error}")
    else:
        maybe_finalize(parent_id, factory, store)


def _train_and_predict_fold(ctx: JobContext, params: dict[str, Any], store: ArtifactStore) -> None:
    fold, ranking_id, epochs = int(params["fold"]), int(params["ranking_id"]), int(params["epoch"])
    ctx.progress(0.05, f"fold {fold}: loading data")
    with ctx.factory() as s:
        version = s.get(ModelVersion, ctx.job(s).version_id)
        assert version is not None
        data = load_training_data(s, version, store)
        s.expunge(version)
    plan = ranking_store.load_plan(store, version.id, ranking_id)
    ctx.progress(0.1, f"fold {fold}: training {epochs} epochs")
    probs = predict_fold(version, data, store, plan, fold, epochs, pick_device())
    ctx.progress(0.9, f"fold {fold}: reference model")
    with ctx.factory() as s:
        ref = reference.predict_rows(reference.TextsByRow(s, version.dataset_id),
                                     fold_training_rows(plan, data, fold), data.train_labels, plan.held_out(fold),
                                     data.num_classes)
    store.put_array(keys.reference_key(version.id, ranking_id, fold), ref)
    # The fold's own output last: gather_inputs treats a fold as done when this one exists.
    store.put_array(keys.fold_key(version.id, ranking_id, fold), probs)
    ctx.succeed({"fold": fold, "held_out": len(probs)}, message=f"fold {fold} done")


# -- the last one ranks ---------------------------------------------------------------------------

def maybe_finalize(parent_id: int, factory: sessionmaker[Session] | None = None,
                   store: ArtifactStore | None = None) -> bool:
    """Rank if every fold is done and nobody else is ranking. True if this call stored the ranking."""
    factory = factory or default_session_factory()
    with factory() as s:
        parent = s.get(Job, parent_id)
        if parent is None or parent.state not in ACTIVE_STATES:
            return False
        folds = int(parent.params["folds"])
        done = sum(j.state == JobState.SUCCESS for j in fold_jobs(s, parent))
        s.execute(update(Job).where(Job.id == parent_id, Job.worker.is_(None))
                  .values(progress=0.9 * done / folds if folds else 0.0,
                          message=f"{done} of {folds} fold models done" if folds else "ranking"))
        s.commit()
    if done < folds:
        return False
    with run_job(parent_id, factory) as ctx:
        if ctx is None:
            return False
        finalize(ctx, store or get_store())
        return True
    return False


def finalize(ctx: JobContext, store: ArtifactStore) -> None:
    ctx.progress(0.92, "ranking")
    ranking_id = int(ctx.params()["ranking_id"])
    try:
        with ctx.factory() as s:
            ranking = s.get(SuspectRanking, ranking_id)
            assert ranking is not None
            version = s.get(ModelVersion, ranking.version_id)
            assert version is not None
            ranked = ranking_store.rank_all(ranking_store.gather_inputs(s, store, version, ranking))
            summary = ranking_store.write_ranking(s, ranking, ranked)
            s.commit()
    except Exception:
        mark_ranking_failed(ctx.factory, ranking_id)
        raise
    ctx.succeed(summary, message="ranking stored")


def fail_parent(factory: sessionmaker[Session], parent_id: int, error: str) -> None:
    with factory() as s:
        s.execute(update(Job).where(Job.id == parent_id, Job.state.in_(ACTIVE_STATES)).values(
            state=JobState.FAILURE, message="failed", error=error[:4000], finished_at=utcnow(), worker=None))
        s.commit()
        parent = s.get(Job, parent_id)
        ranking_id = int(parent.params["ranking_id"]) if parent is not None else None
    if ranking_id is not None:
        mark_ranking_failed(factory, ranking_id)


def mark_ranking_failed(factory: sessionmaker[Session], ranking_id: int) -> None:
    with factory() as s:
        s.execute(update(SuspectRanking)
                  .where(SuspectRanking.id == ranking_id, SuspectRanking.status != "done")
                  .values(status="failed", finished_at=utcnow()))
        s.commit()
