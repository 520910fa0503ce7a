from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin


class BatchMetric(Base):
    __tablename__ = "batch_metric"

    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[int] = mapped_column(Integer, primary_key=True)
    step: Mapped[int] = mapped_column(Integer)  # global step across epochs
    loss: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float] = mapped_column(Float)
    size: Mapped[int] = mapped_column(Integer)


class EpochMetric(TimestampMixin, Base):
    __tablename__ = "epoch_metric"

    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    split: Mapped[str] = mapped_column(String(16), primary_key=True)
    loss: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class SampleResult(Base):
    """Per-sample, per-epoch evaluation. 50k rows an epoch: written in bulk, never row by row."""

    __tablename__ = "sample_result"
    __table_args__ = (
        # The samples page for a (version, epoch), sorted by loss or p_positive: with sample_id as the
        # tie-break, a page (deep offsets included) and the total count are index-only scans.
        Index("ix_sample_result_version_epoch_loss_sample", "version_id", "epoch", "loss", "sample_id"),
        Index("ix_sample_result_version_epoch_ppos_sample", "version_id", "epoch", "p_positive", "sample_id"),
        # One sample's results at every epoch (sample detail) without scanning the version's 500k rows.
        Index("ix_sample_result_sample_version_epoch", "sample_id", "version_id", "epoch"),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True)
    loss: Mapped[float] = mapped_column(Float)
    # Probability of class 1 ("positive" for IMDB) and of the sample's given label.
    p_positive: Mapped[float] = mapped_column(Float)
    p_label: Mapped[float] = mapped_column(Float)
    prediction: Mapped[int] = mapped_column(SmallInteger)
