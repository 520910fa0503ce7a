"""k-nearest-neighbour graph of the latent space: exact for small N, pynndescent otherwise.

One graph serves three consumers: UMAP (as its precomputed kNN, so the graph is built once),
the neighbourhood-disagreement score of the mislabel insight, and the near-duplicate search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from worker.pipeline.jit_cache import cache_kernels

EXACT_BELOW = 5000


@dataclass(frozen=True)
class KnnGraph:
    # (N, k+1): column 0 is the sample itself at distance 0, as UMAP expects a precomputed kNN.
    indices: npt.NDArray[np.int32]
    distances: npt.NDArray[np.float32]
    metric: str

    @property
    def k(self) -> int:
        return int(self.indices.shape[1] - 1)

    def neighbors(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """(N, k) indices and distances without the sample itself."""
        return self.indices[:, 1:], self.distances[:, 1:]


def knn_graph(
    x: npt.NDArray[np.float32],
    k: int,
    metric: str = "euclidean",
    seed: int = 0,
    exact_below: int = EXACT_BELOW,
) -> KnnGraph:
    n = len(x)
    m = min(k + 1, n)
    if n < exact_below:
        from sklearn.neighbors import NearestNeighbors

        nn = NearestNeighbors(n_neighbors=m, algorithm="brute", metric=metric).fit(x)
        dist, idx = nn.kneighbors(x)
    else:
        from pynndescent import NNDescent

        cache_kernels()
        index = NNDescent(
            x, n_neighbors=m, metric=metric, random_state=seed, low_memory=True, n_jobs=-1, compressed=True
        )
        idx, dist = index.neighbor_graph
    idx, dist = _self_first(np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float32))
    return KnnGraph(indices=idx.astype(np.int32), distances=dist, metric=metric)


def search_index(x: npt.NDArray[np.float32], n_neighbors: int, metric: str = "euclidean", seed: int = 0) -> Any:
    """A pynndescent index of `x` with its kNN graph (n_neighbors, the point itself included), built as
    umap-learn builds its own (same trees, iterations and candidates) but on every core, and answering a
    batch of queries on every core (`parallel_batch_queries`). umap-learn builds its index single-threaded
    when seeded and queries it one point at a time: placing 900,000 points beside a fitted 100,000 took
    89 s on one of this machine's two cores. Pass it to UMAP as `precomputed_knn[2]`."""
    from pynndescent import NNDescent

    cache_kernels()
    n = len(x)
    return NNDescent(x, n_neighbors=n_neighbors, metric=metric, random_state=seed,
                     n_trees=min(64, 5 + round(n**0.5 / 20.0)), n_iters=max(5, round(float(np.log2(n)))),
                     max_candidates=60, low_memory=True, n_jobs=-1, compressed=False, parallel_batch_queries=True)


def _self_first(
    idx: npt.NDArray[np.int64], dist: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Put each sample itself in column 0. Exact duplicates tie at distance 0 and may push a sample
    out of its own list; then it replaces the farthest neighbour."""
    rows = np.arange(len(idx))
    idx, dist = idx.copy(), dist.copy()
    is_self = idx == rows[:, None]
    missing = ~is_self.any(axis=1)
    idx[missing, -1] = rows[missing]
    dist[missing, -1] = 0.0
    is_self = idx == rows[:, None]
    dist[is_self] = 0.0
    order = _row_order(dist, is_self)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)


def _row_order(dist: npt.NDArray[np.float32], is_self: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    key = np.where(is_self, -1.0, dist.astype(np.float64))
    return np.argsort(key, axis=1, kind="stable")


def neighborhood_disagreement(graph: KnnGraph, labels: npt.NDArray[np.integer]) -> npt.NDArray[np.float32]:
    """Per sample: the fraction of its k latent neighbours whose label differs from its own (0..1).

    A high value means the model represents the sample like the other class; with a high loss this
    makes the sample a mislabel candidate. The mislabels work combines this with other signals.
    """
    idx, _ = graph.neighbors()
    labels = np.asarray(labels)
    score: npt.NDArray[np.float32] = (labels[idx] != labels[:, None]).mean(axis=1).astype(np.float32)
    return score
