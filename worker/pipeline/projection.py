"""UMAP to 2-D, kept comparable across epochs, and the measured quality of the result."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from backend.core.specs.maps import MapParams
from worker.pipeline.jit_cache import cache_kernels
from worker.pipeline.neighbors import KnnGraph


class ProjectionError(RuntimeError):
    """UMAP could not produce a usable layout (too few points, non-finite input or output)."""


def project(
    latent: npt.NDArray[np.float32],
    params: MapParams,
    graph: KnnGraph | None = None,
    previous: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.float32], str]:
    """(N, 2) float32 coordinates and how the layout was initialised ("spectral" or "previous").

    Starting from the previous epoch's coordinates keeps each sample near where it was, so a user
    can watch it move; such a layout is already near its optimum and needs fewer epochs.
    """
    import umap

    cache_kernels()
    n = len(latent)
    if n < 5:
        raise ProjectionError(f"UMAP needs at least 5 samples, got {n}")
    if not np.isfinite(latent).all():
        raise ProjectionError("the latent space has non-finite values (NaN or inf)")
    n_neighbors = min(params.n_neighbors, n - 1)
    from_previous = (
        params.init_from_previous
        and previous is not None
        and previous.shape == (n, 2)
        and bool(np.isfinite(previous).all())
    )
    init: str | npt.NDArray[np.float32] = (
        previous.astype(np.float32) if from_previous and previous is not None else "spectral"
    )
    n_epochs = params.n_epochs_from_previous if from_previous else params.n_epochs
    precomputed: tuple[object, object, object] = (None, None, None)
    if graph is not None and graph.k >= n_neighbors and graph.metric == params.metric:
        precomputed = (graph.indices.astype(np.int64), graph.distances, None)
    reducer = umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=params.min_dist,
        metric=params.metric,
        n_components=2,
        random_state=params.seed,
        learning_rate=params.learning_rate_from_previous if from_previous else 1.0,
        init=init,
        n_epochs=n_epochs,
        precomputed_knn=precomputed,
        low_memory=True,
        verbose=False,
    )
    with warnings.catch_warnings():
        # umap warns that a fixed seed disables parallelism and that a kNN without search index
        # cannot transform new points: both are what we want here.
        warnings.simplefilter("ignore")
        try:
            coords = reducer.fit_transform(latent)
        except Exception as e:
            raise ProjectionError(f"UMAP failed: {type(e).__name__}: {e}") from e
    coords = np.asarray(coords, dtype=np.float32)
    if coords.shape != (n, 2) or not np.isfinite(coords).all():
        raise ProjectionError("UMAP returned a layout with non-finite coordinates")
    return coords, "previous" if from_previous else "spectral"


def trustworthiness(
    latent: npt.NDArray[np.float32],
    coords: npt.NDArray[np.float32],
    sample: int = 5000,
    n_neighbors: int = 15,
    metric: str = "euclidean",
    seed: int = 0,
    chunk: int = 256,
) -> float:
    """Trustworthiness (Venna & Kaski; 1 = no false neighbours in 2-D) at the scale the map shows: the
    k nearest neighbours among ALL points, averaged over a seeded sample of query points.

    Sampling the points before finding neighbours (sklearn on a 5k subset) would measure k=15 among 5k,
    which at 50k points is a ~150-neighbour scale; here only the queries are sampled. With every point a
    query it equals sklearn.manifold.trustworthiness.
    """
    from scipy.spatial.distance import cdist
    from sklearn.neighbors import NearestNeighbors

    n = len(latent)
    k = min(n_neighbors, max(1, (n - 1) // 2 - 1))
    if n < 4 or 2 * n - 3 * k - 1 <= 0:
        return 1.0
    queries = (np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
               if n > sample else np.arange(n))
    space = latent.astype(np.float64)
    if metric == "cosine":  # cosine distance ranks as euclidean distance between unit vectors
        space = space / np.maximum(np.linalg.norm(space, axis=1, keepdims=True), 1e-12)
    sq_norms = (space**2).sum(1)
    near_2d = NearestNeighbors(n_neighbors=k + 1).fit(coords).kneighbors(coords[queries], return_distance=False)
    penalty = 0.0
    for start in range(0, len(queries), chunk):
        rows = queries[start:start + chunk]
        if metric == "manhattan":
            dist = cdist(space[rows], space, "cityblock")  # (q, n)
        else:  # squared euclidean through one matrix product: the same ranks, far faster than cdist
            dist = sq_norms[rows, None] + sq_norms[None, :] - 2.0 * (space[rows] @ space.T)
        dist[np.arange(len(rows)), rows] = -1.0  # the query itself ranks first (rank 0)
        for q, i in enumerate(rows):
            shown = near_2d[start + q]
            shown = shown[shown != i][:k]
            d = dist[q]
            # Rank of each 2-D neighbour among all points by latent distance (1 = nearest other point).
            ranks = (d[None, :] < d[shown][:, None]).sum(1)
            penalty += float(np.clip(ranks - k, 0, None).sum())
    m = len(queries)
    return float(1.0 - 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)) * penalty)


def neighbor_overlap(
    a: npt.NDArray[np.float32], b: npt.NDArray[np.float32], k: int = 15
) -> npt.NDArray[np.float32]:
    """Per sample: the fraction of its k nearest 2-D neighbours in layout `a` still among them in `b`."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(a) - 1)
    ia = NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)[:, 1:]
    ib = NearestNeighbors(n_neighbors=k + 1).fit(b).kneighbors(b, return_distance=False)[:, 1:]
    return np.array(
        [len(np.intersect1d(x, y, assume_unique=True)) / k for x, y in zip(ia, ib, strict=True)],
        dtype=np.float32,
    )
