"""Reading a map's inputs from the database and store, and writing its results back.

A map becomes visible only when its row flips to "done", in the same commit that writes its clusters
and insights, after every artifact is in place: a crash or a UMAP failure never leaves a partial
map that looks complete.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.core import map_points
from backend.core.artifacts import keys
from backend.core.artifacts.keys import latent_key, map_prefix
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.base import utcnow
from backend.core.db.models import (
    Dataset,
    MapCluster,
    MapConfig,
    MapInsight,
    ModelVersion,
    PopulationMap,
    Sample,
)
from backend.core.population import EpochSamples, load_epoch_samples
from backend.core.specs.maps import MapParams
from backend.core.vocabulary import MapStatus
from worker.pipeline.insights import TextLookup
from worker.pipeline.population_map import MapResult


def resolve_params(session: Session, version_id: int, overrides: dict[str, Any] | None = None) -> MapParams:
    """Defaults, then the version's saved map parameters, then this job's overrides."""
    config = session.get(MapConfig, version_id)
    merged = {**(config.params if config else {}), **(overrides or {})}
    return MapParams(**{k: v for k, v in merged.items() if v is not None or k in ("n_epochs", "n_clusters")})


def start_map(
    session: Session, version: ModelVersion, epoch: int, job_id: int, params: MapParams
) -> PopulationMap:
    pmap = session.scalars(
        select(PopulationMap).where(PopulationMap.version_id == version.id, PopulationMap.epoch == epoch)
    ).first()
    if pmap is None:
        pmap = PopulationMap(version_id=version.id, epoch=epoch)
        session.add(pmap)
    pmap.status = MapStatus.RUNNING
    pmap.job_id = job_id
    pmap.error = None
    pmap.params = params.model_dump()
    pmap.artifact_prefix = map_prefix(version.id, epoch)
    pmap.finished_at = None
    session.commit()
    return pmap


def load_samples(session: Session, version: ModelVersion, epoch: int) -> EpochSamples:
    """Every sample's facts at the epoch, read once: the map's population and its points table's rows."""
    samples = load_epoch_samples(session, version, epoch)
    dataset = session.get(Dataset, version.dataset_id)
    expected = dataset.num_samples if dataset is not None else 0
    if not len(samples):
        raise ValueError(f"epoch {epoch} of version {version.id} has no evaluation results")
    if len(samples) != expected or not np.array_equal(samples.index, np.arange(len(samples))):
        raise ValueError(
            f"epoch {epoch} of version {version.id} has results for {len(samples)} of "
            f"{expected} samples; a map needs all of them"
        )
    return samples


def text_lookup(session: Session) -> TextLookup:
    def lookup(ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out.update(
                {
                    int(i): t
                    for i, t in session.execute(
                        select(Sample.id, Sample.text).where(Sample.id.in_(chunk))
                    ).all()
                }
            )
        return out

    return lookup


def previous_coords(
    session: Session, store: ArtifactStore, version_id: int, epoch: int, n: int
) -> npt.NDArray[np.float32] | None:
    """The latest finished map of an earlier epoch with the same number of points, if any."""
    prev = session.scalars(
        select(PopulationMap)
        .where(
            PopulationMap.version_id == version_id,
            PopulationMap.epoch < epoch,
            PopulationMap.status == MapStatus.DONE,
            PopulationMap.num_points == n,
        )
        .order_by(PopulationMap.epoch.desc())
    ).first()
    if prev is None:
        return None
    try:
        return store.get_array(keys.map_array_key(prev.artifact_prefix, "coords")).astype(np.float32)  # type: ignore[no-any-return]
    except KeyError:
        return None


def write_artifacts(store: ArtifactStore, version_id: int, epoch: int, result: MapResult) -> None:
    prefix = map_prefix(version_id, epoch)
    store.put_array(latent_key(version_id, epoch), result.latent.vectors.astype(np.float16))
    store.put_array(keys.map_array_key(prefix, "coords"), result.coords.astype(np.float32))
    store.put_array(keys.map_array_key(prefix, "knn_indices"), result.graph.indices)
    store.put_array(keys.map_array_key(prefix, "knn_distances"), result.graph.distances.astype(np.float32))
    store.put_array(keys.map_array_key(prefix, "clusters"), result.cluster_of)
    # Per-sample score for the mislabels work: share of latent neighbours with another label.
    store.put_array(keys.map_array_key(prefix, "neighbor_disagreement"), result.disagreement)


def finish_map(
    session: Session,
    store: ArtifactStore,
    map_id: int,
    samples: EpochSamples,
    result: MapResult,
    extra_timings: dict[str, float],
) -> PopulationMap:
    """Points payload (from the samples and the map in memory), then clusters, insights and status "done"
    in one commit."""
    pmap = session.get(PopulationMap, map_id)
    assert pmap is not None
    version = session.get(ModelVersion, pmap.version_id)
    dataset = session.get(Dataset, version.dataset_id) if version is not None else None
    assert dataset is not None
    table = map_points.build_points_table(session, pmap, dataset, samples, result.coords, result.cluster_of)
    store.put_bytes(keys.points_key(pmap.artifact_prefix), map_points.encode(table, "none"))
    session.execute(delete(MapCluster).where(MapCluster.map_id == map_id))
    session.execute(delete(MapInsight).where(MapInsight.map_id == map_id))
    session.add_all(
        MapCluster(
            map_id=map_id,
            cluster=c.cluster,
            size=c.size,
            mean_loss=c.mean_loss,
            accuracy=c.accuracy,
            majority_label=c.majority_label,
            label_purity=c.label_purity,
            split_mix=c.split_mix,
            x=c.x,
            y=c.y,
        )
        for c in result.clusters
    )
    session.add_all(
        MapInsight(
            map_id=map_id,
            rank=rank,
            kind=i.kind,
            score=i.score,
            title=i.title[:300],
            sentence=i.sentence,
            sample_ids=i.sample_ids,
            count=i.count,
            cluster=i.cluster,
            detail=i.detail,
        )
        for rank, i in enumerate(result.insights, start=1)
    )
    pmap.num_points = len(result.coords)
    pmap.latent_dims = result.latent.dims
    pmap.layers = [layer.to_json() for layer in result.latent.layers]
    pmap.timings = {**result.timings, **extra_timings}
    pmap.init = result.init
    pmap.trustworthiness = result.trustworthiness
    pmap.status = MapStatus.DONE
    pmap.finished_at = utcnow()
    session.commit()
    return pmap


def fail_map(session: Session, map_id: int, reason: str) -> None:
    pmap = session.get(PopulationMap, map_id)
    if pmap is not None:
        pmap.status = MapStatus.FAILED
        pmap.error = reason[:4000]
        pmap.finished_at = utcnow()
        session.commit()
