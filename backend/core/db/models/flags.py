"""Flags on samples (project-level, with a full event history) and automatic suspect rankings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime, utcnow
from backend.core.vocabulary import SPLITS, FlagSource


class Flag(TimestampMixin, Base):
    """The current flag of one sample in one project. Unflagging deletes the row; its history stays."""

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("project_id", "sample_id", name="uq_flag_project_sample"),
        Index("ix_flag_project_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    corrected_label: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default=FlagSource.MANUAL)
    actor: Mapped[str] = mapped_column(String(200), default="")
    # Bumped on every change: the ETag that If-Match compares against.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class FlagEvent(Base):
    """One change of one flag: the state before and after (None = no flag). Undo replays `before`.

    Keyed by (project, sample) rather than by flag id, so that history survives an unflag.
    """

    __tablename__ = "flag_event"
    __table_args__ = (
        Index("ix_flag_event_project_sample", "project_id", "sample_id", "id"),
        Index("ix_flag_event_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    # Every bulk operation (and every undo of one) shares one batch id; single edits have their own.
    batch_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | undo
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    # Set on an event once it has been undone, to the id of the undo event.
    undone_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # On an undo event: the event it reverted.
    undo_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SuspectRanking(TimestampMixin, Base):
    """One run of the mislabel ranking for a version (its K fold models, then the combined scores)."""

    __tablename__ = "suspect_ranking"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), nullable=True)
    epoch: Mapped[int] = mapped_column(Integer)  # the version's epoch used for val/test and the fold epochs
    folds: Mapped[int] = mapped_column(Integer)
    # running -> done | failed
    status: Mapped[str] = mapped_column(String(16), default="running")
    # Which signals went into the score and how they were combined.
    method: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    @property
    def splits(self) -> list[str]:
        """The splits asked for (rankings from before the choice existed ranked all of them)."""
        return [str(s) for s in (self.method or {}).get("splits") or SPLITS]


class SuspectScore(Base):
    """A sample's place in a ranking. p_positive and loss are OUT OF SAMPLE (fold model or held-out split)."""

    __tablename__ = "suspect_score"
    __table_args__ = (Index("ix_suspect_score_ranking_split_score", "ranking_id", "split", "score"),)

    ranking_id: Mapped[int] = mapped_column(ForeignKey("suspect_ranking.id", ondelete="CASCADE"),
                                            primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True)
    split: Mapped[str] = mapped_column(String(16))
    label: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float)  # higher = more suspect, in [0, 1]
    reason: Mapped[str] = mapped_column(Text)
    p_positive: Mapped[float] = mapped_column(Float)
    loss: Mapped[float] = mapped_column(Float)
    fold: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # None for val/test
    label_issue: Mapped[bool] = mapped_column(Boolean, default=False)  # cleanlab's find_label_issues
    # Per-signal suspicion in [0, 1] (None where a signal was unavailable).
    signals: Mapped[dict[str, float | None]] = mapped_column(JSON, default=dict)
    # The most likely class other than the label (out of sample) and its probability: what a reviewer
    # would relabel the sample to. NULL in rankings stored before it existed.
    suggested_label: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    p_suggested: Mapped[float | None] = mapped_column(Float, nullable=True)
