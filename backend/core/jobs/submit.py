"""Creating jobs and handing them to Celery by task name. Shared by the API and the worker (which starts
follow-up jobs and re-sends orphaned ones)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import Job
from backend.core.jobs.app import get_celery
from backend.core.jobs.lanes import lane_of, queue_name
from backend.core.vocabulary import ACTIVE_STATES, JobKind, JobState

log = logging.getLogger(__name__)


def create_job(
    session: Session,
    kind: JobKind,
    *,
    project_id: int | None = None,
    version_id: int | None = None,
    dataset_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> Job:
    job = Job(
        kind=kind,
        project_id=project_id,
        version_id=version_id,
        dataset_id=dataset_id,
        params=params or {},
        state=JobState.PENDING,
        message="queued",
    )
    session.add(job)
    session.flush()
    return job


class BrokerUnavailable(Exception):
    """The task message could not be handed to the broker (the API answers 503)."""


# A request waits at most ~3 s for a broker that is down, then fails instead of hanging.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def dispatch(job: Job) -> str:
    """Send the job's task by name (so the API never imports task modules, nor torch) to its lane's queue.

    The one place that routes work: the task comes from the job's kind (TASK_FOR_KIND), and so does the
    lane (backend.core.jobs.lanes), whoever sends it: the API, a training starting its maps, recovery.
    """
    task_name = TASK_FOR_KIND[job.kind]
    try:
        result = get_celery().send_task(task_name, args=[job.id], queue=queue_name(lane_of(job.kind)),
                                        retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as e:  # kombu's OperationalError, or a socket error on the way to it
        raise BrokerUnavailable(f"{type(e).__name__}: {e}") from e
    return str(result.id)


def enqueue(session: Session, job: Job, *, on_unsent: Callable[[], None] | None = None) -> Job:
    """Commit the job first so that the worker can never see a task whose job row does not exist.

    When the broker can't take the message, the job is marked FAILURE (rather than left PENDING, which
    `resend_lost_pending` would run a lease later, after the client was told it failed), `on_unsent`
    undoes what the caller committed with it, and BrokerUnavailable propagates: ask again to retry.
    """
    session.commit()
    try:
        job.celery_task_id = dispatch(job)
    except BrokerUnavailable as e:
        job.state = JobState.FAILURE
        job.message = "failed"
        job.error = f"could not be queued: the broker is unavailable ({e})"[:4000]
        if on_unsent is not None:
            on_unsent()
        session.commit()
        raise
    session.commit()
    return job


def enqueue_all(session: Session, jobs: list[Job]) -> list[Job]:
    """`enqueue` for several jobs created together: one commit for all of them before any is sent."""
    session.commit()
    for job in jobs:
        job.celery_task_id = dispatch(job)
    session.commit()
    return jobs


def active_job(session: Session, *, version_id: int, kind: JobKind) -> Job | None:
    return session.scalars(
        select(Job).where(Job.version_id == version_id, Job.kind == kind, Job.state.in_(ACTIVE_STATES))
    ).first()


# Which Celery task runs each job kind. Recovery uses it to re-enqueue orphaned jobs.
TASK_FOR_KIND: dict[str, str] = {
    JobKind.IMPORT: "lensboard.import_dataset",
    JobKind.TRAIN: "lensboard.train_version",
    JobKind.ANALYZE: "lensboard.analyze",
    JobKind.MAP: "lensboard.build_map",
    # The mislabel ranking: a parent job and one job per cross-validation fold (see worker/tasks/suspects.py).
    JobKind.SUSPECTS: "lensboard.rank_suspects",
    JobKind.SUSPECTS_FOLD: "lensboard.suspects_fold",
    # A row range of an epoch's evaluation (see worker/pipeline/eval_shards.py).
    JobKind.EVAL_SHARD: "lensboard.eval_shard",
}

# Job kinds created for every epoch that finishes training (e.g. the population map), in this order.
POST_EPOCH_JOB_KINDS: list[JobKind] = [JobKind.MAP]


def start_post_epoch_jobs(session: Session, *, project_id: int, version_id: int, epoch: int) -> list[Job]:
    """Create and enqueue the POST_EPOCH_JOB_KINDS jobs of one epoch, skipping kinds that already have one.

    Idempotent, so a resumed training can call it again for its last finished epoch. A broker that is
    down fails only these jobs (the map can be asked for again), never the training that started them.
    """
    existing = session.scalars(
        select(Job).where(Job.version_id == version_id, Job.kind.in_(POST_EPOCH_JOB_KINDS))
    ).all()
    have = {j.kind for j in existing if j.params.get("epoch") == epoch}
    started = []
    for kind in POST_EPOCH_JOB_KINDS:
        if kind in have:
            continue
        job = create_job(session, kind, project_id=project_id, version_id=version_id, params={"epoch": epoch})
        try:
            started.append(enqueue(session, job))
        except BrokerUnavailable as e:
            log.warning("post-epoch %s job %s of version %s not queued: %s", kind, job.id, version_id, e)
    return started
