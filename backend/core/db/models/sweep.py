from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime, utcnow


class Sweep(TimestampMixin, Base):
    """A hyperparameter search: one model version (a "trial") per point of the search space.

    The trials themselves are ordinary versions (`ModelVersion.sweep_id`, `trial_index`), trained by the
    ordinary train job; the sweep's progress is derived from their statuses.
    """

    __tablename__ = "sweep"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    architecture: Mapped[str] = mapped_column(String(32))
    # Hyperparameters every trial shares; the space's values override them per trial.
    base_hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    space: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    strategy: Mapped[str] = mapped_column(String(16))  # grid | random | bayes
    budget: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    epochs: Mapped[int] = mapped_column(Integer)  # per trial, unless the space sets `epochs`
    metric: Mapped[str] = mapped_column(String(32), default="val_accuracy")  # validation only
    # {} (off) or {"metric": "val_loss" | "val_accuracy", "patience": N, "min_delta": x}
    early_stopping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {} (off) or {"warmup_epochs": N, "min_trials": M}: median pruning (backend/core/sweeps/pruning.py).
    pruning: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bayesian search: {"parallel": P, "startup_trials": S, "proposed_by": ["random" | "tpe", ...] by trial
    # index, "stopped": why no further trial could be proposed}; {} for grid and random.
    search: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The swept values of each trial, by trial index (grid and random: generated once, from `seed`;
    # bayes: appended as each trial is asked).
    trials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # active | cancelled | finished (a Bayesian sweep that could propose no further trial). What the
    # sweep is doing now is derived from its trials' statuses.
    status: Mapped[str] = mapped_column(String(16), default="active")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
