"""Running a job on a worker: claim its lease, heartbeat, report progress, finish or fail.

Why a lease: with `acks_late`, a job whose worker died is delivered again, and at start-up a worker
re-enqueues jobs whose owner stopped heartbeating. The lease makes sure only one worker runs a job
at a time, whichever way it arrived.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Job, WorkerBeat
from backend.core.db.session import default_session_factory
from backend.core.jobs import broker_queues
from backend.core.jobs.broker_queues import waiting_message
from backend.core.jobs.lanes import Lane, lane_of
from backend.core.jobs.submit import TASK_FOR_KIND, dispatch
from backend.core.settings import get_settings
from backend.core.vocabulary import ACTIVE_STATES, JobState

log = logging.getLogger(__name__)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


class JobGone(Exception):
    """The job was cancelled, finished, or taken over by another worker."""


class JobContext:
    def __init__(self, job_id: int, factory: sessionmaker[Session]) -> None:
        self.job_id = job_id
        self.factory = factory
        self.me = worker_identity()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._last: dict[str, Any] = {}

    # -- lease -----------------------------------------------------------------------------------
    def claim(self) -> bool:
        """Take the job if nobody live holds it. Compare-and-set on the holder, so two claims can't both win."""
        lease = timedelta(seconds=get_settings().job_lease_seconds)
        now = _now()
        with self.factory() as s:
            job = s.get(Job, self.job_id)
            if job is None or job.state not in ACTIVE_STATES:
                return False
            holder = job.worker
            free = (
                holder is None
                or holder == self.me
                or (job.heartbeat_at is not None and job.heartbeat_at < now - lease)
                or (holder.split(":")[0] == socket.gethostname() and not _pid_alive(holder))
            )
            if not free:
                return False
            holder_match = Job.worker.is_(None) if holder is None else Job.worker == holder
            res = s.execute(
                update(Job)
                .where(Job.id == self.job_id, holder_match, Job.state.in_(ACTIVE_STATES))
                .values(worker=self.me, heartbeat_at=now, attempts=Job.attempts + 1,
                        state=JobState.STARTED, started_at=job.started_at or now, message="started")
            )
            s.commit()
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def _heartbeat_loop(self) -> None:
        period = get_settings().heartbeat_seconds
        while not self._stop.wait(period):
            try:
                with self.factory() as s:
                    s.execute(update(Job).where(Job.id == self.job_id, Job.worker == self.me)
                              .values(heartbeat_at=_now()))
                    s.commit()
            except Exception:  # a missed beat is harmless; the next one retries
                log.exception("heartbeat failed for job %s", self.job_id)

    def start_heartbeat(self) -> None:
        self._beat = threading.Thread(target=self._heartbeat_loop, name=f"job-{self.job_id}-beat", daemon=True)
        self._beat.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)

    # -- reporting ------------------------------------------------------------------------------
    def job(self, session: Session) -> Job:
        job = session.get(Job, self.job_id)
        if job is None:
            raise JobGone(f"job {self.job_id} no longer exists")
        return job

    def progress(self, fraction: float, message: str, **detail: Any) -> None:
        """Record progress; raises JobGone if the job was cancelled or taken over."""
        with self.factory() as s:
            res = s.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.worker == self.me, Job.state.in_(ACTIVE_STATES))
                .values(state=JobState.PROGRESS, progress=max(0.0, min(1.0, fraction)), message=message,
                        detail=detail, heartbeat_at=_now())
            )
            s.commit()
            if not res.rowcount:  # type: ignore[attr-defined]
                raise JobGone(f"job {self.job_id} was cancelled or taken over")

    def hold(self, session: Session) -> None:
        """Within `session`'s transaction, make sure this worker still holds the job, else raise JobGone.

        A worker that stalled past its lease (a frozen VM, a long pause) and was taken over wakes up
        mid-task; a write it ties to the lease this way can't undo what the new holder did. The
        update also locks the job row until the caller commits, so a takeover waits for that commit:
        call it just before committing, to keep that lock short.
        """
        res = session.execute(
            update(Job)
            .where(Job.id == self.job_id, Job.worker == self.me, Job.state.in_(ACTIVE_STATES))
            .values(heartbeat_at=_now())
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            raise JobGone(f"job {self.job_id} was cancelled or taken over")

    def succeed(self, result: dict[str, Any] | None = None, message: str = "done") -> None:
        with self.factory() as s:
            s.execute(update(Job).where(Job.id == self.job_id, Job.worker == self.me).values(
                state=JobState.SUCCESS, progress=1.0, message=message, result=result or {}, finished_at=_now()))
            s.commit()

    def fail(self, error: str) -> None:
        """Mark the job failed, unless this worker no longer holds it: a worker taken over after a stall
        may fail afterwards (e.g. its epoch was committed by the new holder), and that must not fail the
        job the new holder is running or has finished; nor turn a cancelled job into a failed one."""
        with self.factory() as s:
            s.execute(update(Job).where(Job.id == self.job_id, Job.worker == self.me,
                                        Job.state.in_(ACTIVE_STATES)).values(
                state=JobState.FAILURE, message="failed", error=error[:4000], finished_at=_now()))
            s.commit()

    def params(self) -> dict[str, Any]:
        with self.factory() as s:
            return dict(self.job(s).params)


@contextmanager
def run_job(job_id: int, factory: sessionmaker[Session] | None = None) -> Iterator[JobContext | None]:
    """Yield a claimed JobContext, or None when another worker holds the job (nothing to do).

    Any exception marks the job FAILURE with its message, so a job never stays "running" forever.
    """
    ctx = JobContext(job_id, factory or default_session_factory())
    if not ctx.claim():
        log.info("job %s is held by another worker or already finished; skipping", job_id)
        yield None
        return
    ctx.start_heartbeat()
    try:
        yield ctx
    except JobGone as e:
        log.info("%s", e)
    except Exception as e:
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        ctx.fail(f"{type(e).__name__}: {e}")
    finally:
        ctx.stop_heartbeat()


def recover_orphaned_jobs(factory: sessionmaker[Session] | None = None) -> list[int]:
    """Re-enqueue active jobs whose worker is gone: same host with another pid, or a stale lease; and
    PENDING jobs whose task message was lost (see `resend_lost_pending`).

    Called when a worker starts, and periodically, so a job killed mid-epoch resumes.
    """
    factory = factory or default_session_factory()
    host = socket.gethostname()
    me = worker_identity()
    lease = timedelta(seconds=get_settings().job_lease_seconds)
    requeued: list[int] = []
    with factory() as s:
        jobs = s.scalars(select(Job).where(Job.state.in_((JobState.STARTED, JobState.PROGRESS)))).all()
        for job in jobs:
            dead_local = job.worker is not None and job.worker.split(":")[0] == host and job.worker != me \
                and not _pid_alive(job.worker)
            stale = job.heartbeat_at is not None and job.heartbeat_at < _now() - lease
            if not (dead_local or stale) or job.kind not in TASK_FOR_KIND:
                continue
            job.worker = job.reserved_by = None
            job.state = JobState.PENDING
            job.message = "resuming after a worker was lost"
            s.commit()
            job.celery_task_id = dispatch(job)
            s.commit()
            requeued.append(job.id)
    return requeued + resend_lost_pending(factory)


def resend_lost_pending(factory: sessionmaker[Session]) -> list[int]:
    """Send again the task of every PENDING job untouched for a whole lease whose message is known lost.

    A job is committed before its message is sent, so a process that dies in between, or a broker that
    loses the message (a Redis restart or flush), leaves a PENDING job nobody will ever run. But a job
    behind a long training simply waits, and sending it again would leave copies in the queue and tell the
    user its message was lost. So a job is waiting, and only its status text is refreshed, while
      - a live worker has reserved its message (`Job.reserved_by`, set when a worker receives it), or
      - its message still waits in its lane's queue (backend.core.jobs.broker_queues);
    it is lost when neither holds (or it was never sent). A broker that can't be looked into (down, or
    AMQP) only lets never-sent jobs be sent. At most once per lease per job (each check touches
    `updated_at`), and the lease makes whichever copy arrives second a no-op.
    """
    cutoff = _now() - timedelta(seconds=get_settings().job_lease_seconds)
    resent: list[int] = []
    with factory() as s:
        jobs = s.scalars(select(Job).where(Job.state == JobState.PENDING, Job.kind.in_(list(TASK_FOR_KIND)),
                                           Job.updated_at < cutoff)).all()
        if not jobs:
            return resent
        queued, readable = _queued_positions({lane_of(j.kind) for j in jobs if j.celery_task_id})
        live = _live_workers(s)
        for job in jobs:
            idle_since = max(job.updated_at, job.heartbeat_at or job.updated_at)
            if idle_since >= cutoff:
                continue
            lane = lane_of(job.kind)
            where = queued.get(job.celery_task_id or "")
            reserved = job.reserved_by is not None and job.reserved_by in live
            if where is not None or reserved or (job.celery_task_id and lane not in readable):
                message = (waiting_message(lane, where) if where is not None
                           else f"waiting: taken by worker {job.reserved_by}" if reserved else job.message)
                # Touching updated_at postpones the next check of this job by a lease.
                s.execute(update(Job).where(Job.id == job.id, Job.state == JobState.PENDING,
                                            Job.updated_at == job.updated_at)
                          .values(message=message, updated_at=_now()))
                s.commit()
                continue
            # Compare-and-set on updated_at: with several workers sweeping, only one resends.
            res = s.execute(update(Job).where(Job.id == job.id, Job.state == JobState.PENDING,
                                              Job.updated_at == job.updated_at)
                            .values(message="queued again: its task message was lost", reserved_by=None,
                                    updated_at=_now()))
            s.commit()
            if not res.rowcount:  # type: ignore[attr-defined]
                continue
            s.refresh(job)
            job.celery_task_id = dispatch(job)
            s.commit()
            resent.append(job.id)
    return resent


def _queued_positions(lanes: set[Lane]) -> tuple[dict[str, int], set[Lane]]:
    """task id -> position of the messages waiting in `lanes`, and the lanes the broker let us read."""
    found: dict[str, int] = {}
    readable: set[Lane] = set()
    for lane in lanes:
        try:
            messages = broker_queues.waiting(lane)
        except broker_queues.Unknown as e:
            log.warning("can't tell which jobs wait in the %s lane: %s", lane, e)
            continue
        readable.add(lane)
        for i, m in enumerate(messages):
            found.setdefault(m.task_id, i + 1)
    return found, readable


def _live_workers(session: Session) -> set[str]:
    """Workers (main processes) alive now: a fresh WorkerBeat row, or a live pid on this host."""
    lease = timedelta(seconds=get_settings().job_lease_seconds)
    names = session.scalars(select(WorkerBeat.name).where(WorkerBeat.seen_at >= _now() - lease)).all()
    host = socket.gethostname()
    return {n for n in names if n.split(":")[0] != host or _pid_alive(n)}


def mark_reserved(job_id: int, factory: sessionmaker[Session] | None = None) -> None:
    """Record that this worker took the job's message off its lane (see `resend_lost_pending`)."""
    with (factory or default_session_factory())() as s:
        s.execute(update(Job).where(Job.id == job_id, Job.state == JobState.PENDING)
                  .values(reserved_by=worker_identity()))
        s.commit()


def beat_worker(factory: sessionmaker[Session] | None = None) -> None:
    """Record that this worker process is alive now (see WorkerBeat); drop rows of long-dead workers."""
    now = _now()
    with (factory or default_session_factory())() as s:
        if not s.execute(update(WorkerBeat).where(WorkerBeat.name == worker_identity())
                         .values(seen_at=now)).rowcount:  # type: ignore[attr-defined]
            s.add(WorkerBeat(name=worker_identity(), seen_at=now))
        s.execute(delete(WorkerBeat).where(WorkerBeat.seen_at < now - timedelta(days=1)))
        s.commit()


def forget_worker(factory: sessionmaker[Session] | None = None) -> None:
    with (factory or default_session_factory())() as s:
        s.execute(delete(WorkerBeat).where(WorkerBeat.name == worker_identity()))
        s.commit()


def _pid_alive(worker: str) -> bool:
    try:
        pid = int(worker.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True
