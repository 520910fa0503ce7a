"""Population maps of a version's epochs: status, points (Arrow), neighbours, clusters, insights."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, NotFound, Unprocessable
from backend.api.guard import SampleDep, VersionDep
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.maps import (
    ClusterOut,
    InsightOut,
    MapBuildRequest,
    MapConfigOut,
    MapOut,
    MapParamsUpdate,
    MapPointsOut,
    MapStateOut,
    NeighborsOut,
)
from backend.api.services import map_neighbors, points_payload
from backend.core import map_points
from backend.core.artifacts import get_store
from backend.core.db.models import (
    Job,
    MapCluster,
    MapConfig,
    MapInsight,
    ModelVersion,
    PopulationMap,
)
from backend.core.jobs.submit import create_job, enqueue
from backend.core.specs.maps import MapParams
from backend.core.vocabulary import ACTIVE_STATES, JobKind, MapStatus

router = APIRouter(tags=["maps"])


def check_epoch(version: ModelVersion, epoch: int) -> None:
    if epoch < 1 or epoch > version.epochs_done:
        raise NotFound(f"epoch of version {version.id}:", epoch)


def map_job(session: Session, version_id: int, epoch: int) -> Job | None:
    """The newest map job for (version, epoch); params are JSON, so the epoch is matched here."""
    jobs = session.scalars(
        select(Job).where(Job.version_id == version_id, Job.kind == JobKind.MAP).order_by(Job.id.desc())
    ).all()
    return next((j for j in jobs if j.params.get("epoch") == epoch), None)


def _not_ready(session: Session, version_id: int, epoch: int, pmap: PopulationMap | None) -> Conflict:
    job = (
        session.get(Job, pmap.job_id)
        if pmap is not None and pmap.job_id
        else map_job(session, version_id, epoch)
    )
    status = pmap.status if pmap is not None else ("pending" if job is not None else "absent")
    job_out = JobOut.model_validate(job).model_dump(mode="json") if job is not None else None
    reason = f": {pmap.error}" if pmap is not None and pmap.error else ""
    return Conflict(
        f"the map of epoch {epoch} of version {version_id} is {status}{reason}", status=status, job=job_out
    )


def done_map(session: Session, version: ModelVersion, epoch: int) -> PopulationMap:
    """The finished map, or 404 (unknown epoch) / 409 (not computed yet, with its job)."""
    pmap = session.scalars(
        select(PopulationMap).where(PopulationMap.version_id == version.id, PopulationMap.epoch == epoch)
    ).first()
    if pmap is not None and pmap.status == MapStatus.DONE:
        return pmap
    check_epoch(version, epoch)
    raise _not_ready(session, version.id, epoch, pmap)


def _map_out(session: Session, pmap: PopulationMap) -> MapOut:
    out = MapOut.model_validate(pmap)
    job = session.get(Job, pmap.job_id) if pmap.job_id else None
    out.job = JobOut.model_validate(job) if job is not None else None
    return out


# -- parameters ------------------------------------------------------------------------------------
@router.get("/versions/{version_id}/map-config", operation_id="getMapConfig")
def get_map_config(version: VersionDep, session: SessionDep) -> MapConfigOut:
    """The parameters the version's maps are built with (defaults where none were set)."""
    config = session.get(MapConfig, version.id)
    return MapConfigOut(version_id=version.id, params=MapParams(**(config.params if config else {})))


@router.put("/versions/{version_id}/map-config", operation_id="updateMapConfig")
def update_map_config(version: VersionDep, body: MapParamsUpdate, session: SessionDep) -> MapConfigOut:
    """Change some map parameters; they apply to maps built from now on."""
    version_id = version.id
    config = session.get(MapConfig, version_id)
    params = merged_params(config.params if config else {}, body.model_dump(exclude_unset=True))
    if config is None:
        config = MapConfig(version_id=version_id)
        session.add(config)
    config.params = params.model_dump(exclude_defaults=True)
    session.commit()
    return MapConfigOut(version_id=version_id, params=params)


def merged_params(base: dict[str, object], overrides: dict[str, object]) -> MapParams:
    """The parameters with `overrides` applied; 422 when the result is invalid (e.g. a null where a
    parameter has no "unset" value)."""
    try:
        return MapParams(**{**base, **overrides})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Unprocessable(f"map parameters: {where}: {first['msg']}") from e


# -- maps and their status -------------------------------------------------------------------------
@router.get("/versions/{version_id}/maps", operation_id="listMaps")
def list_maps(version: VersionDep, session: SessionDep) -> list[MapOut]:
    maps = session.scalars(
        select(PopulationMap).where(PopulationMap.version_id == version.id).order_by(PopulationMap.epoch)
    ).all()
    return [_map_out(session, m) for m in maps]


@router.get("/versions/{version_id}/maps/{epoch}/state", operation_id="getMapState")
def get_map_state(version: VersionDep, epoch: int, session: SessionDep) -> MapStateOut:
    """Where the map of an epoch is (absent / pending / running / done / failed) with its job: the same facts
    as getMap, answered with 200 before the map row exists (getMap answers 409 then)."""
    check_epoch(version, epoch)
    pmap = session.scalars(
        select(PopulationMap).where(PopulationMap.version_id == version.id, PopulationMap.epoch == epoch)
    ).first()
    if pmap is not None:
        out = _map_out(session, pmap)
        return MapStateOut(status=out.status.value, map=out, job=out.job)
    job = map_job(session, version.id, epoch)
    return MapStateOut(status="pending" if job is not None else "absent", map=None,
                       job=JobOut.model_validate(job) if job is not None else None)


@router.get(
    "/versions/{version_id}/maps/{epoch}",
    operation_id="getMap",
    responses={409: {"description": "No map row yet: `status` and the map `job` (or null)"}},
)
def get_map(version: VersionDep, epoch: int, session: SessionDep) -> MapOut:
    """The map of an epoch with its status (pending / running / done / failed) and its job."""
    check_epoch(version, epoch)
    pmap = session.scalars(
        select(PopulationMap).where(PopulationMap.version_id == version.id, PopulationMap.epoch == epoch)
    ).first()
    if pmap is None:
        raise _not_ready(session, version.id, epoch, None)
    return _map_out(session, pmap)


@router.post("/versions/{version_id}/maps/{epoch}", status_code=202, operation_id="buildMap",
             dependencies=[rate_limit("compute")], responses=RATE_LIMITED)
def build_map(
    version: VersionDep, epoch: int, session: SessionDep, body: MapBuildRequest | None = None
) -> JobOut:
    """(Re)build the map of an epoch as a job, with the version's parameters and optional overrides."""
    version_id = version.id
    check_epoch(version, epoch)
    running = map_job(session, version_id, epoch)
    if running is not None and running.state in ACTIVE_STATES:
        raise Conflict(
            f"the map of epoch {epoch} is already being built (job {running.id})", job_id=running.id
        )
    params: dict[str, object] = {"epoch": epoch}
    if body is not None and body.params is not None:
        overrides = body.params.model_dump(exclude_unset=True)
        config = session.get(MapConfig, version_id)
        merged_params(config.params if config else {}, overrides)  # validate the combination now
        params["map"] = overrides
    job = create_job(
        session,
        JobKind.MAP,
        project_id=version.project_id,
        version_id=version_id,
        dataset_id=version.dataset_id,
        params=params,
    )
    enqueue(session, job)
    return JobOut.model_validate(job)


# -- points ----------------------------------------------------------------------------------------
@router.get(
    "/versions/{version_id}/maps/{epoch}/points",
    operation_id="getMapPoints",
    description=points_payload.POINTS_DESCRIPTION,
    response_class=Response,
    responses={
        200: {
            "content": {points_payload.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "Arrow IPC stream with every point",
        },
        409: {"description": "The map is not computed yet: `status` and its `job`"},
    },
)
def get_map_points(
    version: VersionDep,
    epoch: int,
    request: Request,
    session: SessionDep,
    compression: map_points.Compression = "zstd",
) -> Response:
    pmap = done_map(session, version, epoch)
    gzipped = compression == "none" and "gzip" in request.headers.get("accept-encoding", "")
    # The flag column is the project's flags NOW: a browser may keep the payload but must ask again each
    # time (no-cache), and a flag change changes the ETag, so a revalidation costs a 304 until then.
    etag = points_payload.points_etag(session, version.project_id, pmap, compression, gzipped)
    headers = {"Cache-Control": "private, no-cache", "ETag": etag, "X-Map-Points": str(pmap.num_points)}
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    payload = points_payload.payload_cache.get(session, pmap, get_store(), compression, gzipped=gzipped)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(content=payload, media_type=points_payload.MEDIA_TYPE, headers=headers)


@router.get("/versions/{version_id}/maps/{epoch}/points.json", operation_id="getMapPointsJson")
def get_map_points_json(
    version: VersionDep,
    epoch: int,
    session: SessionDep,
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=1000, ge=1, le=5000),
    sample: bool = Query(default=False, description="Return a seeded random subset of `limit` points"),
    seed: int = Query(default=0, ge=0),
) -> MapPointsOut:
    """The same points as JSON, for small requests: a page by sample index, or a random subset when
    `sample=true` (never downsampled unless asked)."""
    pmap = done_map(session, version, epoch)
    table = map_points.decode(points_payload.payload_cache.get(session, pmap, get_store(), "none"))
    points, sampled = points_payload.json_points(table, offset=offset, limit=limit, sample=sample, seed=seed)
    return MapPointsOut(version_id=version.id, epoch=epoch, total=table.num_rows, returned=len(points),
                        sampled=sampled, points=points)


# -- neighbours, clusters, insights ----------------------------------------------------------------
@router.get("/versions/{version_id}/maps/{epoch}/neighbors/{sample_id}", operation_id="getMapNeighbors")
def get_neighbors(
    version: VersionDep,
    epoch: int,
    sample: SampleDep,
    session: SessionDep,
    k: int = Query(default=10, ge=1, le=200),
) -> NeighborsOut:
    """The k samples nearest to a sample in the epoch's latent space (exact search), with distances."""
    pmap = done_map(session, version, epoch)
    if sample.dataset_id != version.dataset_id:
        raise NotFound("sample", sample.id)
    metric = str(pmap.params.get("metric", "euclidean"))
    found = map_neighbors.neighbors(session, get_store(), version, epoch, sample, k, metric)
    return NeighborsOut(sample_id=sample.id, index=sample.index, epoch=epoch, metric=metric, neighbors=found)


@router.get("/versions/{version_id}/maps/{epoch}/clusters", operation_id="listMapClusters")
def list_clusters(version: VersionDep, epoch: int, session: SessionDep) -> list[ClusterOut]:
    """Latent-space clusters with size, mean loss, accuracy, label purity and split mix."""
    pmap = done_map(session, version, epoch)
    rows = session.scalars(
        select(MapCluster).where(MapCluster.map_id == pmap.id).order_by(MapCluster.cluster)
    )
    return [ClusterOut.model_validate(c) for c in rows.all()]


@router.get("/versions/{version_id}/maps/{epoch}/insights", operation_id="listMapInsights")
def list_insights(version: VersionDep, epoch: int, session: SessionDep) -> list[InsightOut]:
    """Ranked findings (weak-spot clusters, mislabel candidates, duplicates and leakage, split-only
    clusters), each with its samples and a sentence saying why."""
    pmap = done_map(session, version, epoch)
    rows = session.scalars(select(MapInsight).where(MapInsight.map_id == pmap.id).order_by(MapInsight.rank))
    return [InsightOut.model_validate(i) for i in rows.all()]
