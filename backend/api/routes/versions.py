from __future__ import annotations

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy import func, select

from backend.api.deps import SessionDep, get_or_404
from backend.api.errors import Conflict, NotFound, Unprocessable
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.routes.projects import get_project_or_404
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.versions import TrainRequest, VersionCreate, VersionGraph, VersionOut
from backend.core.db.models import Dataset, EpochMetric, ModelVersion
from backend.core.jobs.submit import TASK_FOR_KIND, active_job, create_job, enqueue
from backend.core.specs.architectures import UnknownArchitecture, validate_hyperparameters
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["versions"])


def get_version_or_404(session: SessionDep, version_id: int) -> ModelVersion:
    return get_or_404(session, ModelVersion, version_id, "version")


def version_out(session: SessionDep, version: ModelVersion) -> VersionOut:
    out = VersionOut.model_validate(version)
    rows = session.execute(
        select(EpochMetric.split, func.max(EpochMetric.accuracy))
        .where(EpochMetric.version_id == version.id).group_by(EpochMetric.split)
    ).all()
    out.best = {split: float(acc) for split, acc in rows}
    return out


def check_hyperparameters(architecture: str, params: dict[str, object]) -> dict[str, object]:
    try:
        return validate_hyperparameters(architecture, dict(params))
    except UnknownArchitecture as e:
        raise Unprocessable(str(e)) from e
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Unprocessable(f"hyperparameters.{where}: {first['msg']}") from e


def training_dataset(session: SessionDep, project_id: int, dataset_id: int | None) -> Dataset:
    """The named dataset of the project, or its latest ready one; 404 / 409 when there is none to train on."""
    if dataset_id is not None:
        dataset = session.get(Dataset, dataset_id)
        if dataset is None or dataset.project_id != project_id:
            raise NotFound("dataset", dataset_id)
    else:
        dataset = session.scalars(
            select(Dataset).where(Dataset.project_id == project_id, Dataset.status == "ready")
            .order_by(Dataset.id.desc())
        ).first()
        if dataset is None:
            raise Conflict("the project has no imported dataset yet; import one first")
    if dataset.status != "ready":
        raise Conflict(f"dataset {dataset.id} is {dataset.status}, not ready")
    return dataset


@router.post("/projects/{project_id}/versions", status_code=201, operation_id="createVersion")
def create_version(project_id: int, body: VersionCreate, session: SessionDep) -> VersionOut:
    get_project_or_404(session, project_id)
    hp = check_hyperparameters(body.architecture, body.hyperparameters)
    dataset = training_dataset(session, project_id, body.dataset_id)
    count = session.scalar(select(func.count(ModelVersion.id)).where(ModelVersion.project_id == project_id)) or 0
    version = ModelVersion(
        project_id=project_id, dataset_id=dataset.id, name=body.name or f"{body.architecture}-v{count + 1}",
        architecture=body.architecture, hyperparameters=hp, seed=body.seed, status="created",
        data_fixes={}, graph={},
    )
    session.add(version)
    session.commit()
    return version_out(session, version)


@router.get("/projects/{project_id}/versions", operation_id="listVersions")
def list_versions(project_id: int, session: SessionDep) -> list[VersionOut]:
    get_project_or_404(session, project_id)
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.project_id == project_id).order_by(ModelVersion.id)
    ).all()
    return [version_out(session, v) for v in rows]


@router.get("/versions/{version_id}", operation_id="getVersion")
def get_version(version_id: int, session: SessionDep) -> VersionOut:
    return version_out(session, get_version_or_404(session, version_id))


@router.get("/versions/{version_id}/graph", operation_id="getVersionGraph")
def get_version_graph(version_id: int, session: SessionDep) -> VersionGraph:
    """The model's layer graph (filled in by the worker when training starts)."""
    version = get_version_or_404(session, version_id)
    return VersionGraph(version_id=version.id, graph=version.graph)


@router.post("/versions/{version_id}/train", status_code=202, operation_id="trainVersion",
             dependencies=[rate_limit("train")], responses=RATE_LIMITED)
def train_version(version_id: int, body: TrainRequest, session: SessionDep) -> JobOut:
    """Train until `epochs` epochs are done in total. 409 while the version is already training."""
    version = get_version_or_404(session, version_id)
    # Lock the version row so two concurrent requests can't both start a training job.
    session.execute(select(ModelVersion.id).where(ModelVersion.id == version_id).with_for_update())
    running = active_job(session, version_id=version_id, kind=JobKind.TRAIN)
    if running is not None:
        raise Conflict(f"version {version_id} is already training (job {running.id})", job_id=running.id)
    if body.epochs <= version.epochs_done:
        raise Conflict(f"version {version_id} already has {version.epochs_done} epochs; ask for more")
    job = create_job(session, JobKind.TRAIN, project_id=version.project_id, version_id=version.id,
                     dataset_id=version.dataset_id, params={"epochs": body.epochs})
    before = version.status
    version.status = "queued"
    enqueue(session, job, TASK_FOR_KIND[JobKind.TRAIN], on_unsent=lambda: setattr(version, "status", before))
    return JobOut.model_validate(job)
