"""The map above its fit sample: UMAP fitted on a stratified sample, the other points placed by the fitted
model; at or below the sample size, every point fitted exactly as before."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.neighbors import NearestNeighbors

from backend.core.specs.maps import MapParams
from worker.pipeline.neighbors import search_index
from worker.pipeline.projection import _fit_reducer, fit_rows, neighbor_overlap, place, project, trustworthiness

PARAMS = MapParams(n_epochs=100)


def blobs(n: int, seed: int = 0) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Six Gaussian clusters in 10-D; the label is the cluster's parity (so each class has three)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (6, 10))
    which = rng.integers(0, 6, n)
    return (centres[which] + rng.normal(0, 1, (n, 10))).astype(np.float32), (which % 2).astype(np.int64)


def test_fit_rows_is_seeded_and_keeps_each_label_and_loss_stratum_in_proportion() -> None:
    rng = np.random.default_rng(1)
    labels = (rng.random(10_000) < 0.1).astype(np.int64)  # a rare class
    loss = rng.exponential(1.0, 10_000).astype(np.float32)
    rows = fit_rows(10_000, 1_000, labels, loss, seed=0)
    assert len(rows) == 1_000 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, fit_rows(10_000, 1_000, labels, loss, seed=0))
    assert not np.array_equal(rows, fit_rows(10_000, 1_000, labels, loss, seed=1))
    assert abs(labels[rows].sum() - labels.sum() / 10) <= 5
    top = loss >= np.quantile(loss, 0.8)  # the hardest fifth: a fifth of the sample, per class
    for c in (0, 1):
        assert abs(int((top & (labels == c))[rows].sum()) - (top & (labels == c)).sum() / 10) <= 1


def test_at_or_below_the_fit_sample_every_point_is_fitted_as_before() -> None:
    latent, labels = blobs(600)
    plain, init = project(latent, PARAMS)
    same, _ = project(latent, PARAMS, fit_sample=600, labels=labels)
    assert init == "spectral" and np.array_equal(plain, same)


@pytest.mark.parametrize("n", [3000])
def test_placed_points_keep_the_map_trustworthy_and_aligned_across_epochs(n: int) -> None:
    latent, labels = blobs(n)
    loss = np.random.default_rng(2).random(n).astype(np.float32)
    full, _ = project(latent, PARAMS)
    sampled, init = project(latent, PARAMS, fit_sample=1000, labels=labels, loss=loss)
    assert init == "spectral" and sampled.shape == (n, 2) and np.isfinite(sampled).all()
    t_full = trustworthiness(latent, full, sample=1000)
    t_sampled = trustworthiness(latent, sampled, sample=1000)
    assert t_sampled > 0.9 and t_sampled > t_full - 0.03, (t_sampled, t_full)

    # The next epoch: the latent space moves a little; starting from the previous map keeps neighbours.
    moved = latent + np.random.default_rng(3).normal(0, 0.1, latent.shape).astype(np.float32)
    following, init = project(moved, PARAMS, previous=sampled, fit_sample=1000, labels=labels, loss=loss)
    assert init == "previous"
    fresh, _ = project(moved, PARAMS.model_copy(update={"seed": 7}), fit_sample=1000, labels=labels, loss=loss)
    assert neighbor_overlap(sampled, following).mean() > neighbor_overlap(sampled, fresh).mean()


def test_placing_points_agrees_with_umaps_own_transform() -> None:
    """`place` is umap-learn's transform made fast (batched parallel queries, array start positions,
    parallel epochs): the points land where the library's own transform puts them."""
    latent, labels = blobs(3000, seed=4)
    rows = fit_rows(3000, 1000, labels, None, seed=0)
    rest = np.setdiff1d(np.arange(3000), rows)
    index = search_index(latent[rows], PARAMS.n_neighbors, PARAMS.metric, PARAMS.seed)
    fitted, _, reducer = _fit_reducer(latent[rows], PARAMS, None, None, index)
    ours = place(latent[rest], index, fitted, PARAMS, 1.0)
    theirs = np.asarray(reducer.transform(latent[rest]), dtype=np.float32)
    extent = float(np.linalg.norm(fitted.max(0) - fitted.min(0)))
    apart = np.linalg.norm(ours - theirs, axis=1)
    assert np.median(apart) < 0.02 * extent and np.quantile(apart, 0.95) < 0.1 * extent, (np.median(apart), extent)
    # Each placed point sits among the fitted points of its own blob, as with transform.
    near = NearestNeighbors(n_neighbors=5).fit(fitted).kneighbors(ours, return_distance=False)
    assert (labels[rows][near] == labels[rest][:, None]).mean() > 0.95
