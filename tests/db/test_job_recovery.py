"""Recovery of PENDING jobs whose task message was lost (real database, real embedded broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Job
from backend.core.jobs.app import get_celery
from backend.core.jobs.lanes import Lane, queue_name
from backend.core.jobs.submit import create_job
from backend.core.settings import get_settings
from worker.job_runner import recover_orphaned_jobs


def _job(factory: sessionmaker[Session], state: str, idle: timedelta) -> int:
    with factory() as s:
        job = create_job(s, "map", params={"epoch": 1})
        job.state = state
        s.commit()
        s.execute(update(Job).where(Job.id == job.id).values(updated_at=datetime.now(UTC) - idle))
        s.commit()
        return job.id


def _queued_job_ids() -> list[int]:
    """Drain the test's lanes on the broker: the job id of every task message in them."""
    ids = []
    for lane in Lane:
        with get_celery().connection_for_read() as conn, conn.SimpleQueue(queue_name(lane)) as queue:
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    break
                args, _kwargs, _embed = message.payload  # Celery's message protocol 2, JSON
                ids.append(int(args[0]))
                message.ack()
    return ids


def test_pending_job_with_lost_message_is_sent_again_once_per_lease(
        session_factory: sessionmaker[Session]) -> None:
    lease = timedelta(seconds=get_settings().job_lease_seconds)
    lost = _job(session_factory, "PENDING", idle=2 * lease)
    fresh = _job(session_factory, "PENDING", idle=lease / 4)  # its message may simply be waiting
    _job(session_factory, "SUCCESS", idle=10 * lease)
    _job(session_factory, "FAILURE", idle=10 * lease)

    assert recover_orphaned_jobs(session_factory) == [lost]
    assert _queued_job_ids() == [lost]
    with session_factory() as s:
        job = s.get(Job, lost)
        assert job is not None and job.state == "PENDING" and job.celery_task_id
        assert "lost" in job.message
        still = s.get(Job, fresh)
        assert still is not None and still.celery_task_id is None
    # Sent again: nothing more until another lease has passed without the job starting.
    assert recover_orphaned_jobs(session_factory) == []
    assert _queued_job_ids() == []
