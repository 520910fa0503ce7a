"""How a version's population maps are built: validated by the API, run by the worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MapMetric = Literal["euclidean", "cosine", "manhattan"]


class MapParams(BaseModel):
    """How a version's maps are built. The defaults give a readable map of 50k IMDB reviews."""

    model_config = ConfigDict(extra="forbid")

    # UMAP: neighbourhood size (local vs global structure), how tightly points pack, distance, seed.
    n_neighbors: int = Field(default=15, ge=2, le=200)
    min_dist: float = Field(default=0.1, ge=0.0, le=1.0)
    metric: MapMetric = "euclidean"
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
    # Trustworthiness of the 2-D map against the latent space, at the map's scale (k neighbours among all
    # points), averaged over this many seeded query points: 1,000 give it to about +-0.003.
    trust_sample: int = Field(default=1000, ge=100, le=50_000)
    batch_size: int = Field(default=512, ge=1, le=16_384)
