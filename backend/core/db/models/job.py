from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime, utcnow
from backend.core.vocabulary import JobState


class Job(TimestampMixin, Base):
    """One unit of background work (import, train, map, analyze, ...), mirrored from its Celery task."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), nullable=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="CASCADE"), nullable=True, index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), nullable=True)
    celery_task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Live detail (epoch, batch, ...) and final result; small JSON only.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Lease: the worker that runs the job heartbeats; a stale lease lets another worker resume it.
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The worker (its main process, as in WorkerBeat) that took the job's message off its lane and has not
    # started it yet: while that worker lives, a PENDING job is waiting, not lost (worker.job_runner).
    reserved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WorkerBeat(Base):
    """A running worker, seen at `seen_at`. Readiness asks this table whether any worker is alive.

    Written by every worker process (worker/lifecycle.py) rather than asked over Celery's remote control,
    because the embedded broker (kombu's SQLAlchemy transport) has no broadcast: `inspect ping` only
    answers on Redis or AMQP, while a row in the database works the same on every broker.
    """

    __tablename__ = "worker_beat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
