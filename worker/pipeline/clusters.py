"""Clusters of the latent space (k-means) and what each one holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.core.population import Population


@dataclass(frozen=True)
class ClusterStats:
    cluster: int
    size: int
    mean_loss: float
    accuracy: float
    majority_label: int
    label_purity: float  # share of the majority label
    split_mix: dict[str, int]
    x: float
    y: float


def auto_clusters(n: int) -> int:
    """About one cluster per 1,000 samples at 50k, more per sample on small sets; 2..40."""
    return int(np.clip(round(np.sqrt(n / 20)), 2, 40))


def cluster_latent(
    latent: npt.NDArray[np.float32], n_clusters: int | None, seed: int
) -> npt.NDArray[np.int16]:
    """k-means on the latent space. k-means rather than HDBSCAN: every sample gets a cluster, and it
    stays fast on 50k points in ~100 dimensions, where density estimates get unreliable."""
    from sklearn.cluster import KMeans

    k = min(n_clusters or auto_clusters(len(latent)), len(latent))
    km = KMeans(n_clusters=k, n_init=1, max_iter=100, random_state=seed)
    labels: npt.NDArray[np.int16] = km.fit_predict(latent).astype(np.int16)
    return labels


def summarize_clusters(
    labels: npt.NDArray[np.int16], pop: Population, coords: npt.NDArray[np.float32]
) -> list[ClusterStats]:
    out: list[ClusterStats] = []
    correct = pop.correct
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        counts = np.bincount(pop.labels[rows])
        majority = int(counts.argmax())
        out.append(
            ClusterStats(
                cluster=int(c),
                size=len(rows),
                mean_loss=float(pop.loss[rows].mean()),
                accuracy=float(correct[rows].mean()),
                majority_label=majority,
                label_purity=float(counts[majority] / len(rows)),
                split_mix=pop.split_mix(rows),
                x=float(coords[rows, 0].mean()),
                y=float(coords[rows, 1].mean()),
            )
        )
    return out
