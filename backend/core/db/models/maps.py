"""Population maps: one per (version, epoch), with its clusters and ranked insights.

Bulk per-sample data (latent vectors, 2-D coordinates, kNN graph, cluster labels, the points payload)
lives in the artifact store under `artifact_prefix`; the database keeps what is queried or listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime, utcnow
from backend.core.vocabulary import MapStatus


class MapConfig(Base):
    """Per-version map parameters (UMAP neighbours, min distance, metric, seed, ...); absent = defaults."""

    __tablename__ = "map_config"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class PopulationMap(TimestampMixin, Base):
    __tablename__ = "population_map"
    __table_args__ = (UniqueConstraint("version_id", "epoch", name="uq_population_map_version_epoch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int] = mapped_column(Integer)
    # pending -> running -> done | failed. Only "done" maps are served; artifacts are written first.
    status: Mapped[str] = mapped_column(String(16), default=MapStatus.PENDING)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The MapParams actually used (UMAP neighbours, min distance, metric, seed, dims per layer, ...).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    num_points: Mapped[int] = mapped_column(Integer, default=0)
    latent_dims: Mapped[int] = mapped_column(Integer, default=0)
    # [{name, raw_dims, dims, explained_variance, weight}], in model order.
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Seconds per stage (extract, reduce, knn, umap, clusters, insights, write) and how UMAP was initialised.
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    init: Mapped[str] = mapped_column(String(32), default="")
    trustworthiness: Mapped[float | None] = mapped_column(Float, nullable=True)
    artifact_prefix: Mapped[str] = mapped_column(String(300), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class MapCluster(Base):
    __tablename__ = "map_cluster"

    map_id: Mapped[int] = mapped_column(ForeignKey("population_map.id", ondelete="CASCADE"), primary_key=True)
    cluster: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    mean_loss: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[float] = mapped_column(Float)
    majority_label: Mapped[int] = mapped_column(Integer)
    label_purity: Mapped[float] = mapped_column(Float)
    # {"train": n, "val": n, "test": n}
    split_mix: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Centre on the 2-D map, for labelling the cluster in the scatter plot.
    x: Mapped[float] = mapped_column(Float, default=0.0)
    y: Mapped[float] = mapped_column(Float, default=0.0)


class MapInsight(Base):
    __tablename__ = "map_insight"
    __table_args__ = (UniqueConstraint("map_id", "rank", name="uq_map_insight_map_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("population_map.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)  # 1 = most important
    kind: Mapped[str] = mapped_column(String(32))  # weak_cluster | mislabel_candidates | duplicates | ...
    score: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(300))
    sentence: Mapped[str] = mapped_column(Text)
    # Sample ids behind the insight, most relevant first (capped; `count` has the full number).
    sample_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)
    cluster: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
