from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime, utcnow


class ModelVersion(TimestampMixin, Base):
    __tablename__ = "model_version"
    # A trial index once per sweep: two workers finishing trials together can't both add a Bayesian
    # sweep's next trial (the second insert fails and that worker leaves it to the first).
    __table_args__ = (UniqueConstraint("sweep_id", "trial_index", name="uq_model_version_sweep_trial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    architecture: Mapped[str] = mapped_column(String(32))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    # created -> queued -> training -> trained | failed; cancelled (a sweep's trial stopped before the end)
    status: Mapped[str] = mapped_column(String(16), default="created")
    epochs_done: Mapped[int] = mapped_column(Integer, default=0)
    # Label fixes applied to the training data (relabel / exclude by sample id), e.g. from flags.
    data_fixes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Layer graph (names, shapes, parameter counts) filled in by the worker when training starts.
    graph: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Set on the trials of a hyperparameter sweep.
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweep.id", ondelete="CASCADE"), nullable=True,
                                                 index=True)
    trial_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Checkpoint(TimestampMixin, Base):
    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("version_id", "epoch", name="uq_checkpoint_version_epoch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
