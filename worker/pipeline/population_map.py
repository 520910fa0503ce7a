"""One population map, top to bottom: pool activations, build the latent space, kNN graph, 2-D
layout, clusters, insights. Pure computation: the task module does the database and the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch

from backend.core.population import Population
from backend.core.specs.maps import MapParams
from backend.core.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.pipeline.clusters import ClusterStats, cluster_latent, summarize_clusters
from worker.pipeline.insights import (
    Insight,
    TextLookup,
    duplicate_insights,
    duplicate_pairs,
    mislabel_candidates,
    rank_insights,
    split_clusters,
    weak_clusters,
)
from worker.pipeline.latent import LatentSpace, build_latent_space, extract_pooled
from worker.pipeline.neighbors import KnnGraph, knn_graph, neighborhood_disagreement
from worker.pipeline.projection import project, trustworthiness

Progress = Callable[[float, str], None]
# Neighbours kept in the stored graph: enough for UMAP's default and the disagreement score.
GRAPH_K = 15


@dataclass
class MapResult:
    latent: LatentSpace
    graph: KnnGraph
    coords: npt.NDArray[np.float32]
    init: str
    disagreement: npt.NDArray[np.float32]
    cluster_of: npt.NDArray[np.int16]
    clusters: list[ClusterStats]
    insights: list[Insight]
    trustworthiness: float | None
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 3)
        self._t = now


def compute_map(
    model: TextClassifier | None,
    arrays: TokenArrays,
    pop: Population,
    params: MapParams,
    previous: npt.NDArray[np.float32] | None = None,
    texts: TextLookup | None = None,
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
    pooled: dict[str, npt.NDArray[np.float32]] | None = None,
    train_labels: npt.NDArray[np.int64] | None = None,
    fit_sample: int | None = None,
) -> MapResult:
    """Row i of every output is the sample with dataset index i (the token store's row i).

    `pooled`: the activations the epoch's evaluation kept; without them the model is run again.
    `train_labels`: the labels the version trains on (its relabels applied; default the stored ones). The
    neighbourhood disagreement compares these, as the suspect ranking does: a sample the user already
    relabelled must not keep "its neighbours carry another label" as a reason.
    `fit_sample`: above this many samples UMAP is fitted on a stratified sample of them and places the rest
    (projection.project); None fits every sample.
    """
    report = progress or (lambda _f, _m: None)
    if len(arrays) != len(pop):
        raise ValueError(f"token arrays have {len(arrays)} rows but the population has {len(pop)} samples")
    clock = _Clock()
    if pooled is None:
        if model is None:
            raise ValueError("compute_map needs the model or the pooled activations")
        report(0.05, "pooling activations")
        pooled = extract_pooled(model, arrays, np.arange(len(pop)), params.batch_size, device)
    clock.lap("extract")
    latent = build_latent_space(pooled, params.dims_per_layer, params.seed)
    del pooled
    clock.lap("reduce")
    report(0.4, "neighbours")
    graph = knn_graph(latent.vectors, max(GRAPH_K, params.n_neighbors), params.metric, params.seed)
    clock.lap("knn")
    report(0.5, "UMAP")
    coords, init = project(latent.vectors, params, graph, previous, fit_sample, pop.labels, pop.loss)
    clock.lap("umap")
    report(0.8, "clusters and insights")
    disagreement = neighborhood_disagreement(graph, pop.labels if train_labels is None else train_labels)
    cluster_of = cluster_latent(latent.vectors, params.n_clusters, params.seed)
    clusters = summarize_clusters(cluster_of, pop, coords)
    clock.lap("clusters")
    pairs = duplicate_pairs(arrays, graph, texts, pop.sample_ids)
    insights = rank_insights(
        [
            *weak_clusters(clusters, cluster_of, pop),
            mislabel_candidates(pop, disagreement),
            *duplicate_insights(pairs, pop),
            *split_clusters(clusters, cluster_of, pop),
        ]
    )
    clock.lap("insights")
    report(0.9, "trustworthiness")
    trust = trustworthiness(
        latent.vectors, coords, params.trust_sample, min(15, params.n_neighbors), params.metric, params.seed
    )
    clock.lap("trustworthiness")
    return MapResult(
        latent=latent,
        graph=graph,
        coords=coords,
        init=init,
        disagreement=disagreement,
        cluster_of=cluster_of,
        clusters=clusters,
        insights=insights,
        trustworthiness=trust,
        timings=clock.timings,
    )
