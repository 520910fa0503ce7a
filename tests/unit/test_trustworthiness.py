"""Trustworthiness is measured at the map's own scale: k neighbours among all points, sampled queries."""

from __future__ import annotations

import numpy as np
from sklearn.manifold import trustworthiness as sk_trust

from worker.pipeline.projection import trustworthiness


def _noisy_layout(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 5-D cloud whose 2-D layout keeps the coarse structure but scrambles fine neighbourhoods."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 5)).astype(np.float32)
    coords = (latent[:, :2] + rng.normal(scale=0.3, size=(n, 2))).astype(np.float32)
    return latent, coords


def test_every_point_a_query_equals_sklearn() -> None:
    latent, coords = _noisy_layout(400)
    for metric in ("euclidean", "cosine", "manhattan"):
        expected = float(sk_trust(latent, coords, n_neighbors=10, metric=metric))
        ours = trustworthiness(latent, coords, sample=400, n_neighbors=10, metric=metric)
        assert abs(ours - expected) < 1e-9, metric
        # Seven queries' distances a chunk (the last one short), as a million points get 33.
        chunked = trustworthiness(latent, coords, sample=400, n_neighbors=10, metric=metric, chunk_values=400 * 7)
        assert abs(chunked - expected) < 1e-9, metric


def test_sampled_queries_estimate_the_full_maps_figure() -> None:
    """A 600-point subsample would measure 15 neighbours among 600, a coarser and kinder scale; sampled
    queries among all 3,000 points estimate the figure of the whole map."""
    latent, coords = _noisy_layout(3000)
    full = float(sk_trust(latent, coords, n_neighbors=15))
    subsample_rows = np.random.default_rng(0).choice(3000, size=600, replace=False)
    coarse = float(sk_trust(latent[subsample_rows], coords[subsample_rows], n_neighbors=15))
    ours = trustworthiness(latent, coords, sample=600, n_neighbors=15)
    assert abs(ours - full) < 0.01
    assert abs(ours - full) < abs(coarse - full) / 2
