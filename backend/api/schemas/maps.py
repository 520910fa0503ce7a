"""Population maps: API shapes. The parameters the worker builds with are backend.core.specs.maps."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas.common import ORMModel
from backend.api.schemas.jobs import JobOut
from backend.core.specs.maps import MapMetric, MapParams
from backend.core.vocabulary import MapStatus


class MapParamsUpdate(BaseModel):
    """Partial update of a version's map parameters (omitted fields keep their value)."""

    model_config = ConfigDict(extra="forbid")

    n_neighbors: int | None = Field(default=None, ge=2, le=200)
    min_dist: float | None = Field(default=None, ge=0.0, le=1.0)
    metric: MapMetric | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    n_epochs: int | None = Field(default=None, ge=10, le=2000)
    n_epochs_from_previous: int | None = Field(default=None, ge=10, le=2000)
    learning_rate_from_previous: float | None = Field(default=None, gt=0.0, le=1.0)
    init_from_previous: bool | None = None
    dims_per_layer: int | None = Field(default=None, ge=1, le=256)
    n_clusters: int | None = Field(default=None, ge=2, le=200)
    trust_sample: int | None = Field(default=None, ge=100, le=50_000)
    batch_size: int | None = Field(default=None, ge=1, le=16_384)


class MapConfigOut(BaseModel):
    version_id: int
    params: MapParams


class MapLayer(BaseModel):
    name: str
    raw_dims: int
    dims: int
    explained_variance: float
    weight: float


class MapOut(ORMModel):
    id: int
    version_id: int
    epoch: int
    status: MapStatus
    error: str | None
    job_id: int | None
    params: dict[str, Any]
    num_points: int
    latent_dims: int
    layers: list[MapLayer]
    timings: dict[str, Any]
    init: str
    trustworthiness: float | None
    created_at: datetime
    finished_at: datetime | None
    job: JobOut | None = None


class MapStateOut(BaseModel):
    """An epoch's map as far as it has got: always an answer, so a client can ask before the map exists."""

    status: Literal["absent", "pending", "running", "done", "failed"] = Field(
        description="absent: never asked for; pending/running: being built (see `job`); done; failed (see `map`)")
    map: MapOut | None = Field(description="The map row, once the build has made one")
    job: JobOut | None = Field(description="The job building it, if any")


class MapBuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Overrides for this build only; the version's map parameters apply otherwise.
    params: MapParamsUpdate | None = None


class ClusterOut(ORMModel):
    cluster: int
    size: int
    mean_loss: float
    accuracy: float
    majority_label: int
    label_purity: float
    split_mix: dict[str, int]
    x: float
    y: float


class InsightOut(ORMModel):
    rank: int
    kind: str
    score: float
    title: str
    sentence: str
    sample_ids: list[int]
    count: int
    cluster: int | None
    detail: dict[str, Any]


class Neighbor(BaseModel):
    sample_id: int
    index: int
    distance: float
    split: str
    label: int
    key: str


class NeighborsOut(BaseModel):
    sample_id: int
    index: int
    epoch: int
    metric: str
    neighbors: list[Neighbor]


class MapPoint(BaseModel):
    """One row of the points table (the JSON form of the Arrow payload)."""

    sample_id: int
    index: int
    x: float
    y: float
    split: str
    label: int
    prediction: int
    p_positive: float
    loss: float
    score: int
    token_count: int
    truncated: bool
    flag: int
    cluster: int


class MapPointsOut(BaseModel):
    version_id: int
    epoch: int
    total: int
    returned: int
    sampled: bool
    points: list[MapPoint]
