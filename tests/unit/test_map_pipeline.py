"""The population-map pipeline on a small synthetic task with a briefly trained TextCNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.core.specs.maps import MapParams
from tests.support.synthetic import Synthetic, make_arrays, make_synthetic, population, train, trained_model
from worker.models.base import TextClassifier
from worker.pipeline.evaluate import evaluate
from worker.pipeline.insights import duplicate_insights, duplicate_pairs, mislabel_candidates
from worker.pipeline.latent import build_latent_space, extract_pooled
from worker.pipeline.neighbors import knn_graph, neighborhood_disagreement
from worker.pipeline.population_map import compute_map
from worker.pipeline.projection import neighbor_overlap, project

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def data() -> Synthetic:
    return make_synthetic(n=500, seed=0)


@pytest.fixture(scope="module")
def model(data: Synthetic) -> TextClassifier:
    return trained_model(data, epochs=2, seed=0)


def test_pooled_vectors_per_layer_and_row_order(model: TextClassifier, data: Synthetic) -> None:
    pooled = extract_pooled(model, data.arrays, np.arange(len(data.labels)), batch_size=64)
    assert list(pooled) == list(model.latent_layers())
    assert pooled["embedding"].shape == (500, 16)
    assert pooled["conv2"].shape == (500, 12) and pooled["conv3"].shape == (500, 12)
    # Each convolution is one block of the map: the concatenation (conv2|conv3, nothing more) is no layer of
    # its own, which would weigh the convolutions twice.
    assert list(pooled) == ["embedding", "conv2", "conv3", "dense"]
    # Length-sorted batching must not scramble rows: one sample alone gives the same vectors.
    single = extract_pooled(model, data.arrays, np.array([7]), batch_size=1)
    for name in pooled:
        np.testing.assert_allclose(single[name][0], pooled[name][7], rtol=1e-5, atol=1e-5)


def test_evaluation_pools_the_same_activations(model: TextClassifier, data: Synthetic) -> None:
    rows = np.arange(len(data.labels))
    evaluated = evaluate(model, data.arrays, rows, data.labels, torch.device("cpu"), 128, pool_layers=True)
    assert evaluated.pooled is not None and list(evaluated.pooled) == list(model.latent_layers())
    pooled = extract_pooled(model, data.arrays, rows, batch_size=64)
    for name, x in evaluated.pooled.items():
        assert x.dtype == np.float16
        np.testing.assert_allclose(x.astype(np.float32), pooled[name], rtol=2e-3, atol=2e-3)
    # A map builds from them without the model, with the same layers as running the model again.
    pop = population(model, data)
    params = MapParams(dims_per_layer=8, n_epochs=50, trust_sample=200)
    reused = compute_map(None, data.arrays, pop, params,
                         pooled={k: v.astype(np.float32) for k, v in evaluated.pooled.items()})
    again = compute_map(model, data.arrays, pop, params)
    assert [(a.name, a.dims) for a in reused.latent.layers] == [(b.name, b.dims) for b in again.latent.layers]
    assert reused.coords.shape == again.coords.shape == (500, 2)
    with pytest.raises(ValueError, match="model or the pooled"):
        compute_map(None, data.arrays, pop, params)


def test_map_shapes_and_determinism(model: TextClassifier, data: Synthetic) -> None:
    pop = population(model, data)
    params = MapParams(dims_per_layer=8, n_epochs=60)
    a = compute_map(model, data.arrays, pop, params)
    b = compute_map(model, data.arrays, pop, params)
    assert a.coords.shape == (500, 2) and a.coords.dtype == np.float32
    assert [layer.name for layer in a.latent.layers] == list(model.latent_layers())
    assert a.latent.dims == sum(layer.dims for layer in a.latent.layers) == a.latent.vectors.shape[1]
    assert all(layer.dims <= 8 for layer in a.latent.layers)
    assert a.graph.indices.shape == (500, 16) and (a.graph.indices[:, 0] == np.arange(500)).all()
    assert a.cluster_of.shape == (500,) and len(a.clusters) >= 2
    assert sum(c.size for c in a.clusters) == 500
    assert 0.5 < (a.trustworthiness or 0) <= 1.0
    np.testing.assert_array_equal(a.latent.vectors, b.latent.vectors)
    np.testing.assert_array_equal(a.coords, b.coords)
    np.testing.assert_array_equal(a.cluster_of, b.cluster_of)
    c = compute_map(model, data.arrays, pop, params.model_copy(update={"seed": 1}))
    assert not np.array_equal(a.coords, c.coords)


def test_every_layer_contributes(model: TextClassifier, data: Synthetic) -> None:
    pooled = extract_pooled(model, data.arrays, np.arange(len(data.labels)))
    full = build_latent_space(pooled, dims_per_layer=8, seed=0)
    # Equal weight: every layer's block has total variance 1.
    start = 0
    for layer in full.layers:
        block = full.vectors[:, start : start + layer.dims]
        assert block.var(axis=0).sum() == pytest.approx(1.0, rel=1e-3)
        start += layer.dims
    # Every layer changes who is near whom: dropping one replaces a good part of each sample's 10 neighbours.
    base, _ = knn_graph(full.vectors, k=10).neighbors()
    for name in pooled:
        ablated = build_latent_space({k: v for k, v in pooled.items() if k != name}, dims_per_layer=8, seed=0)
        assert ablated.dims < full.dims
        idx, _ = knn_graph(ablated.vectors, k=10).neighbors()
        kept = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(base, idx, strict=True)])
        assert kept < 0.95, f"removing layer {name} left the neighbourhoods unchanged ({kept:.3f} kept)"


@pytest.mark.parametrize("exact_below", [10_000, 0], ids=["exact", "pynndescent"])
def test_neighbors_match_brute_force(exact_below: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 12)).astype(np.float32)
    graph = knn_graph(x, k=10, exact_below=exact_below)
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    truth = np.argsort(d, axis=1)[:, :10]
    idx, dist = graph.neighbors()
    assert (graph.indices[:, 0] == np.arange(400)).all() and (graph.distances[:, 0] == 0).all()
    recall = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(idx, truth, strict=True)])
    if exact_below:
        assert recall == 1.0
        np.testing.assert_allclose(dist, np.take_along_axis(d, truth, axis=1), rtol=1e-4)
    else:
        assert recall >= 0.95
    assert (np.diff(dist, axis=1) >= -1e-6).all()


def test_planted_near_duplicate_pair_is_reported(model: TextClassifier, data: Synthetic) -> None:
    rows = [data.arrays.row(i).astype(np.int64) for i in range(len(data.labels))]
    splits = data.splits.copy()
    src = int(np.flatnonzero(splits == 0)[3])
    dst = int(np.flatnonzero(splits == 2)[5])
    copy = rows[src].copy()
    copy[len(copy) // 2] = 2  # one word changed
    rows[dst] = copy
    planted = Synthetic(arrays=make_arrays(rows), labels=data.labels.copy(), splits=splits)
    planted.labels[dst] = planted.labels[src]
    pop = population(model, planted)
    graph = knn_graph(
        build_latent_space(extract_pooled(model, planted.arrays, np.arange(500)), 8, 0).vectors, k=15
    )
    texts = {int(pop.sample_ids[i]): " ".join(f"w{t}" for t in rows[i]) for i in range(500)}
    pairs = duplicate_pairs(planted.arrays, graph, lambda ids: {i: texts[i] for i in ids}, pop.sample_ids)
    assert (min(src, dst), max(src, dst)) in {(a, b) for a, b, _ in pairs}
    insights = duplicate_insights(pairs, pop)
    leakage = next(i for i in insights if i.kind == "duplicates_across_splits")
    assert {int(pop.sample_ids[src]), int(pop.sample_ids[dst])} <= set(leakage.sample_ids)
    assert "leakage" in leakage.sentence


def test_planted_flipped_labels_rank_high_as_mislabel_candidates(
    model: TextClassifier, data: Synthetic
) -> None:
    rng = np.random.default_rng(3)
    pop_clean = population(model, data)
    confident = np.flatnonzero(pop_clean.correct & (pop_clean.loss < 0.3))
    flipped = rng.choice(confident, size=15, replace=False)
    labels = data.labels.copy()
    labels[flipped] = 1 - labels[flipped]
    pop = population(model, data, labels=labels)
    graph = knn_graph(
        build_latent_space(extract_pooled(model, data.arrays, np.arange(500)), 8, 0).vectors, k=15
    )
    disagreement = neighborhood_disagreement(graph, labels)
    assert disagreement[flipped].mean() > 0.8 > disagreement.mean() + 0.5
    insight = mislabel_candidates(pop, disagreement)
    assert insight is not None
    top = set(insight.sample_ids[:20])
    found = len(top & {int(pop.sample_ids[i]) for i in flipped})
    assert found >= 13, f"only {found} of 15 flipped labels in the top 20 candidates"


def test_initialising_from_previous_epoch_keeps_the_map_stable(data: Synthetic) -> None:
    torch.manual_seed(0)
    model = trained_model(data, epochs=1, seed=0)
    params = MapParams(dims_per_layer=8, n_epochs=100)

    def latent(m: TextClassifier) -> np.ndarray:
        return build_latent_space(extract_pooled(m, data.arrays, np.arange(500)), 8, 0).vectors

    first, init = project(latent(model), params)
    assert init == "spectral"
    # The next epoch: the model keeps learning, slowly, as late epochs do.
    train(model, data, epochs=1, seed=1, lr=0.001)
    second_latent = latent(model)
    initialised, init = project(second_latent, params, previous=first)
    assert init == "previous"
    independent, _ = project(second_latent, params.model_copy(update={"seed": 7}))
    kept_initialised = neighbor_overlap(first, initialised, k=15)
    kept_independent = neighbor_overlap(first, independent, k=15)
    # The median moves in steps of 1/15 on 500 points; the mean breaks its ties.
    assert np.median(kept_initialised) >= np.median(kept_independent)
    assert kept_initialised.mean() > kept_independent.mean(), (kept_initialised.mean(), kept_independent.mean())


def test_neighbourhood_disagreement_compares_the_versions_train_labels(model: TextClassifier,
                                                                       data: Synthetic) -> None:
    """A relabelled train sample is judged by its new label, as the suspect ranking judges it; val and test
    keep their stored labels (relabels never touch them)."""
    from dataclasses import replace

    from backend.core.db.models import ModelVersion
    from worker.tasks.maps import version_train_labels

    pop = population(model, data)
    splits = np.zeros(len(pop), dtype=np.uint8)  # all train (code 0) but the last 50: test
    splits[-50:] = 2
    pop = replace(pop, splits=splits)
    moved = [int(pop.sample_ids[3]), int(pop.sample_ids[len(pop) - 1])]  # a train sample and a test sample
    version = ModelVersion(data_fixes={"relabel": {str(s): 1 - int(pop.labels[i])
                                                   for s, i in zip(moved, (3, len(pop) - 1), strict=True)}})
    labels = version_train_labels(version, pop, 2)
    assert labels[3] == 1 - pop.labels[3] and labels[-1] == pop.labels[-1]
    assert (np.delete(labels, 3) == np.delete(pop.labels, 3)).all()

    params = MapParams(dims_per_layer=8, n_epochs=30, trust_sample=100)
    stored = compute_map(model, data.arrays, pop, params)
    fixed = compute_map(model, data.arrays, pop, params, train_labels=labels)
    graph = stored.graph
    np.testing.assert_allclose(fixed.disagreement, neighborhood_disagreement(graph, labels))
    assert fixed.disagreement[3] != stored.disagreement[3]
