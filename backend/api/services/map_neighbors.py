"""Exact nearest neighbours of one sample in an epoch's latent space (the vectors its map stored)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas.maps import Neighbor
from backend.core.artifacts import keys
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import ModelVersion, Sample

# Rows read from the memory-mapped latent vectors at a time: bounded memory at any dataset size.
BLOCK = 8192


def distances(latent: npt.NDArray[np.generic], row: int, metric: str) -> npt.NDArray[np.float64]:
    """Distance from row `row` to every row, under the map's metric (euclidean unless cosine/manhattan)."""
    query = np.asarray(latent[row], dtype=np.float32)
    out = np.empty(len(latent), dtype=np.float64)
    for start in range(0, len(latent), BLOCK):
        block = np.asarray(latent[start : start + BLOCK], dtype=np.float32)
        if metric == "cosine":
            norms = np.linalg.norm(block, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
            out[start : start + len(block)] = 1.0 - (block @ query) / np.maximum(norms, 1e-12)
        elif metric == "manhattan":
            out[start : start + len(block)] = np.abs(block - query).sum(axis=1)
        else:
            out[start : start + len(block)] = np.sqrt(((block - query) ** 2).sum(axis=1))
    return out


def nearest(dist: npt.NDArray[np.float64], row: int, k: int) -> npt.NDArray[np.intp]:
    """The k rows closest by `dist`, nearest first (ties by row), never `row` itself."""
    dist = dist.copy()
    dist[row] = np.inf
    k = min(k, len(dist) - 1)
    picked = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
    return picked[np.lexsort((picked, dist[picked]))]


def neighbors(session: Session, store: ArtifactStore, version: ModelVersion, epoch: int, sample: Sample,
              k: int, metric: str) -> list[Neighbor]:
    """The k samples nearest to `sample` in the version's latent space at `epoch`, with their distances."""
    latent = store.get_array(keys.latent_key(version.id, epoch), mmap=True)
    dist = distances(latent, sample.index, metric)
    rows = nearest(dist, sample.index, k)
    by_index = {
        s.index: s
        for s in session.scalars(
            select(Sample).where(Sample.dataset_id == version.dataset_id, Sample.index.in_([int(i) for i in rows]))
        )
    }
    return [
        Neighbor(sample_id=by_index[int(i)].id, index=int(i), distance=float(dist[i]), split=by_index[int(i)].split,
                 label=by_index[int(i)].label, key=by_index[int(i)].key)
        for i in rows
    ]
