from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin


class Dataset(TimestampMixin, Base):
    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32), default="imdb")
    # importing -> ready | failed
    status: Mapped[str] = mapped_column(String(16), default="importing")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Tokenizer settings (vocab size, max length, seed, validation size) and fitted facts.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    num_samples: Mapped[int] = mapped_column(Integer, default=0)
    # Artifact keys of the fitted tokenizer and the encoded token arrays.
    tokenizer_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    tokens_key: Mapped[str | None] = mapped_column(String(300), nullable=True)

    @property
    def metadata_columns(self) -> dict[str, str]:
        """Custom datasets' per-sample metadata keys -> "number" | "string" (kept in stats by the importer)."""
        return dict((self.stats or {}).get("metadata_columns") or {})


class Sample(Base):
    __tablename__ = "sample"
    __table_args__ = (
        UniqueConstraint("dataset_id", "key", name="uq_sample_dataset_key"),
        UniqueConstraint("dataset_id", "index", name="uq_sample_dataset_index"),
        Index("ix_sample_dataset_split_label", "dataset_id", "split", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    # Dense position 0..N-1 within the dataset: the row of every per-sample array artifact.
    index: Mapped[int] = mapped_column(Integer)
    # Natural id, e.g. "test/neg/10003_3".
    key: Mapped[str] = mapped_column(String(300))
    split: Mapped[str] = mapped_column(String(16))  # train | val | test
    label: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # reviewer's 1-10
    movie_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    oov_count: Mapped[int] = mapped_column(Integer, default=0)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
