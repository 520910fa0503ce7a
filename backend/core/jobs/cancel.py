"""Cancelling a queued or running job, whatever its kind.

The job is marked REVOKED in one transaction with what it was making (its version, dataset or ranking), so
nothing is left half-done in the database:
- a queued job never starts: its message is taken out of its lane, and a copy that still arrives is
  skipped (a worker's claim only takes active jobs);
- a running job stops at its next progress report (`JobContext.progress` raises JobGone once the job is no
  longer active): training within a batch, the mechanism cancelled sweeps already use; the training task
  then drops the unfinished epoch's live metrics and keeps the finished epochs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.core.db.models import Dataset, Job, ModelVersion, SuspectRanking
from backend.core.jobs import broker_queues
from backend.core.jobs.lanes import lane_of
from backend.core.vocabulary import ACTIVE_STATES, JobKind, JobState

log = logging.getLogger(__name__)

CANCELLED = "cancelled"


def cancel_job(session: Session, job: Job) -> bool:
    """Cancel `job` and commit. False (nothing changed) when it had already finished."""
    session.execute(select(Job.id).where(Job.id == job.id).with_for_update())
    session.refresh(job)
    if job.state not in ACTIVE_STATES:
        return False
    queued = job.state == JobState.PENDING
    now = datetime.now(UTC)
    revoked = [job, *_ranking_jobs(session, job), *_evaluation_jobs(session, job)]
    for j in revoked:
        j.state, j.message, j.finished_at = JobState.REVOKED, CANCELLED, now
    for j in revoked:
        _undo_what_it_made(session, j, now)
    session.commit()
    for j in revoked:
        if j.celery_task_id and (queued or j is not job):
            try:
                broker_queues.remove(lane_of(j.kind), j.celery_task_id)
            except Exception:  # the message then arrives, and is skipped
                log.exception("could not take job %s's message out of its lane", j.id)
    return True


def _ranking_jobs(session: Session, job: Job) -> list[Job]:
    """A mislabel ranking is one piece of work: cancelling its parent or any fold cancels the others too
    (the parent waits for every fold, and the ranking can't finish without them)."""
    if job.kind not in (JobKind.SUSPECTS, JobKind.SUSPECTS_FOLD):
        return []
    parent_id = job.id if job.kind == JobKind.SUSPECTS else job.params.get("parent_job_id")
    others = session.scalars(select(Job).where(Job.version_id == job.version_id, Job.id != job.id,
                                               Job.kind.in_((JobKind.SUSPECTS, JobKind.SUSPECTS_FOLD)),
                                               Job.state.in_(ACTIVE_STATES))).all()
    return [j for j in others if j.id == parent_id or j.params.get("parent_job_id") == parent_id]


def _evaluation_jobs(session: Session, job: Job) -> list[Job]:
    """A training and the shards of its epoch's evaluation (worker/pipeline/eval_shards.py) are one piece of
    work: the training waits for every shard, so cancelling either cancels the others."""
    if job.kind not in (JobKind.TRAIN, JobKind.EVAL_SHARD) or job.version_id is None:
        return []
    parent_id = job.id if job.kind == JobKind.TRAIN else job.params.get("parent_job_id")
    others = session.scalars(select(Job).where(Job.version_id == job.version_id, Job.id != job.id,
                                               Job.kind.in_((JobKind.TRAIN, JobKind.EVAL_SHARD)),
                                               Job.state.in_(ACTIVE_STATES))).all()
    return [j for j in others if j.id == parent_id or j.params.get("parent_job_id") == parent_id]


def _undo_what_it_made(session: Session, job: Job, now: datetime) -> None:
    if job.kind == JobKind.TRAIN and job.version_id is not None:
        version = session.get(ModelVersion, job.version_id)
        if version is not None and version.status in ("created", "queued", "training"):
            version.status = CANCELLED
    elif job.kind == JobKind.IMPORT and job.dataset_id is not None:
        dataset = session.get(Dataset, job.dataset_id)
        if dataset is not None and dataset.status == "importing":
            dataset.status = "failed"
    elif job.kind in (JobKind.SUSPECTS, JobKind.SUSPECTS_FOLD) and "ranking_id" in job.params:
        session.execute(update(SuspectRanking).where(SuspectRanking.id == int(job.params["ranking_id"]),
                                                     SuspectRanking.status != "done")
                        .values(status="failed", finished_at=now))
