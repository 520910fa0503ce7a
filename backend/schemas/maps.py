"""Population maps: parameters (shared by the API and the worker) and API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.schemas.common import ORMModel
from backend.schemas.jobs import JobOut

MapStatus = Literal["pending", "running", "done", "failed"]


class MapParams(BaseModel):
    """How a version's maps are built. The defaults give a readable map of 50k IMDB reviews."""

    model_config = ConfigDict(extra="forbid")

    # UMAP: neighbourhood size (local vs global structure), how tightly points pack, distance, seed.
    n_neighbors: int = Field(default=15, ge=2, le=200)
    min_dist: float = Field(default=0.1, ge=0.0, le=1.0)
    metric: Literal["euclidean", "cosine", "manhattan"] = "euclidean"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    # Optimisation epochs for a fresh layout (None: umap-learn's default for the data size) and for a
    # layout that starts from the previous epoch's map, which is already close to its optimum.
    n_epochs: int | None = Field(default=None, ge=10, le=2000)
    n_epochs_from_previous: int = Field(default=50, ge=10, le=2000)
    # A small step size when starting from the previous layout keeps each sample's neighbourhood
    # (measured: more map neighbours kept between epochs than a fresh fit, and no loss of trustworthiness).
    learning_rate_from_previous: float = Field(default=0.1, gt=0.0, le=1.0)
    init_from_previous: bool = True
    # Latent space: each layer is standardised and reduced to at most this many PCA dimensions.
    dims_per_layer: int = Field(default=16, ge=1, le=256)
    # Clusters: k-means on the latent space; None picks k from the number of samples.
    n_clusters: int | None = Field(default=None, ge=2, le=200)
    # Trustworthiness of the 2-D map against the latent space, on a seeded subset of this size.
    trust_sample: int = Field(default=5000, ge=100, le=50_000)
    batch_size: int = Field(default=512, ge=1, le=16_384)


class MapParamsUpdate(BaseModel):
    """Partial update of a version's map parameters (omitted fields keep their value)."""

    model_config = ConfigDict(extra="forbid")

    n_neighbors: int | None = Field(default=None, ge=2, le=200)
    min_dist: float | None = Field(default=None, ge=0.0, le=1.0)
    metric: Literal["euclidean", "cosine", "manhattan"] | None = None
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
