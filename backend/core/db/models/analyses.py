from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin


class Analysis(TimestampMixin, Base):
    """One attribution result: (version, epoch, sample or text, method, parameters) -> token scores.

    `cache_key` hashes exactly that tuple (parameters with defaults filled in), so a repeated request
    is one indexed lookup, and two workers computing the same analysis can't store it twice.
    """

    __tablename__ = "analysis"
    __table_args__ = (Index("ix_analysis_version_epoch_sample", "version_id", "epoch", "sample_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    # A stored sample, or (what-if kept on request) a raw text with its hash.
    sample_id: Mapped[int | None] = mapped_column(
        ForeignKey("sample.id", ondelete="CASCADE"), nullable=True, index=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prediction: Mapped[int] = mapped_column(SmallInteger)
    p_positive: Mapped[float] = mapped_column(Float)
    comprehensiveness: Mapped[float] = mapped_column(Float)
    sufficiency: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    # The full AnalysisResult (tokens with spans, flags and per-class scores), a few tens of kB.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
