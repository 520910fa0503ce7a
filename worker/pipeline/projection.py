"""UMAP to 2-D, kept comparable across epochs, and the measured quality of the result."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.core.specs.maps import MapParams
from worker.pipeline.jit_cache import cache_kernels
from worker.pipeline.neighbors import KnnGraph, search_index


class ProjectionError(RuntimeError):
    """UMAP could not produce a usable layout (too few points, non-finite input or output)."""


def fit_rows(
    n: int, fit_sample: int, labels: npt.NDArray[np.int64] | None, loss: npt.NDArray[np.float32] | None, seed: int
) -> npt.NDArray[np.int64]:
    """Sorted rows of a seeded sample of `fit_sample` of `n` points, stratified by label and by loss quintile
    (each stratum keeps its share, largest remainders rounded up), so that the rare hard and mislabelled
    points the map is for are in the fit, in proportion."""
    rng = np.random.default_rng([seed, 31])
    strata = np.zeros(n, dtype=np.int64)
    if labels is not None:
        strata = labels.astype(np.int64)
    if loss is not None and len(loss) == n and np.isfinite(loss).all():
        edges = np.quantile(loss, [0.2, 0.4, 0.6, 0.8])
        strata = strata * 5 + np.searchsorted(edges, loss, side="right")
    _, stratum, sizes = np.unique(strata, return_inverse=True, return_counts=True)
    exact = sizes * fit_sample / n
    quotas = np.floor(exact).astype(np.int64)
    short = fit_sample - int(quotas.sum())
    quotas[np.argsort(quotas - exact, kind="stable")[:short]] += 1
    rows = [rng.choice(np.flatnonzero(stratum == s), size=int(q), replace=False) for s, q in enumerate(quotas) if q]
    return np.sort(np.concatenate(rows)).astype(np.int64)


def project(
    latent: npt.NDArray[np.float32],
    params: MapParams,
    graph: KnnGraph | None = None,
    previous: npt.NDArray[np.float32] | None = None,
    fit_sample: int | None = None,
    labels: npt.NDArray[np.int64] | None = None,
    loss: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.float32], str]:
    """(N, 2) float32 coordinates and how the layout was initialised ("spectral" or "previous").

    Starting from the previous epoch's coordinates keeps each sample near where it was, so a user
    can watch it move; such a layout is already near its optimum and needs fewer epochs.

    Above `fit_sample` points, UMAP is fitted on a seeded sample of that many (stratified by `labels` and
    `loss`: fit_rows) and every other point is placed by the fitted model's `transform` (its neighbours
    among the sample, then a few optimisation epochs against them): the fit's cost stays that of
    `fit_sample` points, the rest grows linearly. At or below it, every point is fitted, as always.
    """
    n = len(latent)
    if n < 5:
        raise ProjectionError(f"UMAP needs at least 5 samples, got {n}")
    if not np.isfinite(latent).all():
        raise ProjectionError("the latent space has non-finite values (NaN or inf)")
    if fit_sample is None or n <= fit_sample:
        coords, init, _ = _fit_reducer(latent, params, graph, previous)
        return coords, init
    rows = fit_rows(n, fit_sample, labels, loss, params.seed)
    prev_rows = previous[rows] if previous is not None and previous.shape == (n, 2) else None
    # The stored graph is over all points; the sample gets a search index of its own, which `place`
    # queries for the other points' neighbours among the sample (on every core: neighbors.search_index).
    sample = latent[rows]
    index = search_index(sample, min(params.n_neighbors, len(rows) - 1), params.metric, params.seed)
    coords_fit, init, _ = _fit_reducer(sample, params, None, prev_rows, index)
    rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    coords = np.empty((n, 2), dtype=np.float32)
    coords[rows] = coords_fit
    try:
        placed = place(latent[rest], index, coords_fit, params, 1.0 if init == "spectral" else
                       params.learning_rate_from_previous)
    except Exception as e:
        raise ProjectionError(f"placing the points beside the fitted sample failed: {type(e).__name__}: {e}") from e
    if placed.shape != (len(rest), 2) or not np.isfinite(placed).all():
        raise ProjectionError("placing the points beside the fitted sample gave non-finite coordinates")
    coords[rest] = placed
    return coords, init


def place(
    points: npt.NDArray[np.float32],
    index: Any,
    fitted: npt.NDArray[np.float32],
    params: MapParams,
    learning_rate: float,
) -> npt.NDArray[np.float32]:
    """2-D positions for `points` beside a fitted layout (`fitted`, the layout of the points `index` holds):
    what umap-learn's `UMAP.transform` does, from the same functions of umap-learn, except where it was slow
    at a million points (900,000 placed beside 100,000 took 150 s of a 230 s map on this 2-core machine):

    - the neighbours among the sample come from the index's batched query on every core (89 -> 17 s);
    - each point starts where its neighbours are (at its nearest one where the two coincide in membership,
      1.0, else their membership-weighted mean: transform's rule) from array operations, not a Python loop
      over rows (about 130 s);
    - the epochs that settle the placed points run on every core (transform runs them on one when the
      reducer is seeded). The fitted sample stays exact; placed points may differ by a little between runs.
    """
    import scipy.sparse
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import (
        DISCONNECTION_DISTANCES,
        compute_membership_strengths,
        find_ab_params,
        make_epochs_per_sample,
        smooth_knn_dist,
    )

    k = index.neighbor_graph[0].shape[1]
    epsilon = 0.24 if params.metric == "cosine" else 0.12  # transform's search breadth (wider on angular trees)
    indices, dists = index.query(points, k, epsilon=epsilon)
    dists = dists.astype(np.float32, order="C")
    indices[dists >= DISCONNECTION_DISTANCES.get(params.metric, np.inf)] = -1
    sigmas, rhos = smooth_knn_dist(dists, float(k), local_connectivity=0.0)
    rows, cols, vals, _ = compute_membership_strengths(indices, dists, sigmas, rhos, bipartite=True)
    graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(len(points), len(fitted))).tocsr()
    graph.eliminate_zeros()

    sums = np.asarray(graph.sum(axis=1)).ravel()
    start = np.asarray(graph.multiply(1.0 / np.maximum(sums, 1e-300)[:, None]) @ fitted, dtype=np.float32)
    start[sums == 0] = np.nan  # no neighbour at all: transform's NaN, refused by the caller
    row_of = np.repeat(np.arange(len(points)), np.diff(graph.indptr))
    ones = np.flatnonzero(graph.data == 1.0)
    with_one, first = np.unique(row_of[ones], return_index=True)
    start[with_one] = fitted[graph.indices[ones[first]]]

    # transform's epochs: 100 for a small batch, else 30 (or a third of the fit's); weak edges dropped.
    n_epochs = (100 if len(points) <= 10_000 else 30) if params.n_epochs is None else int(params.n_epochs // 3)
    coo = graph.tocoo()
    keep = coo.data >= coo.data.max() / float(n_epochs) if coo.nnz else np.zeros(0, dtype=bool)
    head, tail, weight = coo.row[keep], coo.col[keep], coo.data[keep]
    a, b = find_ab_params(1.0, params.min_dist)
    rng_state = np.random.default_rng([params.seed, 32]).integers(-(2**31) + 1, 2**31 - 1, 3).astype(np.int64)
    placed = optimize_layout_euclidean(
        start, fitted.astype(np.float32, copy=True), head, tail, n_epochs, len(fitted),
        make_epochs_per_sample(weight, n_epochs), a, b, rng_state, 1.0, learning_rate / 4.0, 5.0,
        parallel=True, verbose=False)
    return np.asarray(placed, dtype=np.float32)


def _fit_reducer(
    latent: npt.NDArray[np.float32],
    params: MapParams,
    graph: KnnGraph | None,
    previous: npt.NDArray[np.float32] | None,
    index: Any = None,
) -> tuple[npt.NDArray[np.float32], str, Any]:
    """`graph`: a kNN graph of `latent` to fit from; `index`: a search index of `latent`
    (neighbors.search_index) whose graph the fit uses and which `place` queries afterwards."""
    import umap

    cache_kernels()
    n = len(latent)
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
    if index is not None:
        precomputed = (*index.neighbor_graph, index)
    elif graph is not None and graph.k >= n_neighbors and graph.metric == params.metric:
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
    return coords, "previous" if from_previous else "spectral", reducer


def trustworthiness(
    latent: npt.NDArray[np.float32],
    coords: npt.NDArray[np.float32],
    sample: int = 5000,
    n_neighbors: int = 15,
    metric: str = "euclidean",
    seed: int = 0,
    chunk_values: int = 1 << 25,
) -> float:
    """Trustworthiness (Venna & Kaski; 1 = no false neighbours in 2-D) at the scale the map shows: the
    k nearest neighbours among ALL points, averaged over a seeded sample of query points.

    Sampling the points before finding neighbours (sklearn on a 5k subset) would measure k=15 among 5k,
    which at 50k points is a ~150-neighbour scale; here only the queries are sampled. With every point a
    query it equals sklearn.manifold.trustworthiness.

    Queries go in chunks of at most `chunk_values` distances (256 MiB of float64): a fixed 256 queries a chunk
    was 2 GiB per temporary at a million points, and the map's largest process reached 9.6 GB.
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
    chunk = max(1, chunk_values // n)
    penalty = 0.0
    for start in range(0, len(queries), chunk):
        rows = queries[start:start + chunk]
        if metric == "manhattan":
            dist = cdist(space[rows], space, "cityblock")  # (q, n)
        else:  # squared euclidean through one matrix product (the same ranks, far faster than cdist), in place
            dist = space[rows] @ space.T
            dist *= -2.0
            dist += sq_norms[None, :]
            dist += sq_norms[rows, None]
        dist[np.arange(len(rows)), rows] = -1.0  # the query itself ranks first (rank 0)
        for q, i in enumerate(rows):
            shown = near_2d[start + q]
            shown = shown[shown != i][:k]
            d = dist[q]
            # Rank of each 2-D neighbour among all points by latent distance (1 = nearest other point),
            # counted among the points nearer than the farthest of them (the rest count for none).
            limits = d[shown]
            nearer = d[d < limits.max()] if len(limits) else d[:0]
            ranks = (nearer[None, :] < limits[:, None]).sum(1)
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
