from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy import func, select

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, Unprocessable
from backend.api.guard import ProjectDep, VersionDep, checked_body, project_in_path
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.lookups import training_dataset, version_out
from backend.api.schemas.jobs import JobOut
from backend.api.schemas.versions import TrainRequest, VersionCreate, VersionGraph, VersionOut
from backend.core.data.import_paths import ImportPathRefused, check_vectors_setting
from backend.core.db.models import ModelVersion
from backend.core.jobs.submit import active_job, create_job, enqueue
from backend.core.settings import get_settings
from backend.core.specs.architectures import UnknownArchitecture, validate_hyperparameters
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["versions"])

NewVersion = Annotated[VersionCreate, Depends(checked_body(VersionCreate, project_in_path))]


def check_hyperparameters(architecture: str, params: dict[str, object]) -> dict[str, object]:
    try:
        hp = validate_hyperparameters(architecture, dict(params))
        check_vectors_setting(hp, get_settings())
    except UnknownArchitecture as e:
        raise Unprocessable(str(e)) from e
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Unprocessable(f"hyperparameters.{where}: {first['msg']}") from e
    except ImportPathRefused as e:
        raise Unprocessable(f"hyperparameters.pretrained_vectors: {e}") from e
    return hp


@router.post("/projects/{project_id}/versions", status_code=201, operation_id="createVersion")
def create_version(project: ProjectDep, body: NewVersion, session: SessionDep) -> VersionOut:
    hp = check_hyperparameters(body.architecture, body.hyperparameters)
    dataset = training_dataset(session, project, body.dataset_id)
    count = session.scalar(select(func.count(ModelVersion.id)).where(ModelVersion.project_id == project.id)) or 0
    version = ModelVersion(
        project_id=project.id, dataset_id=dataset.id, name=body.name or f"{body.architecture}-v{count + 1}",
        architecture=body.architecture, hyperparameters=hp, seed=body.seed, status="created",
        data_fixes={}, graph={},
    )
    session.add(version)
    session.commit()
    return version_out(session, version)


@router.get("/projects/{project_id}/versions", operation_id="listVersions")
def list_versions(project: ProjectDep, session: SessionDep) -> list[VersionOut]:
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.project_id == project.id).order_by(ModelVersion.id)
    ).all()
    return [version_out(session, v) for v in rows]


@router.get("/versions/{version_id}", operation_id="getVersion")
def get_version(version: VersionDep, session: SessionDep) -> VersionOut:
    return version_out(session, version)


@router.get("/versions/{version_id}/graph", operation_id="getVersionGraph")
def get_version_graph(version: VersionDep) -> VersionGraph:
    """The model's layer graph (filled in by the worker when training starts)."""
    return VersionGraph(version_id=version.id, graph=version.graph)


@router.post("/versions/{version_id}/train", status_code=202, operation_id="trainVersion",
             dependencies=[rate_limit("train")], responses=RATE_LIMITED)
def train_version(version: VersionDep, body: TrainRequest, session: SessionDep) -> JobOut:
    """Train until `epochs` epochs are done in total. 409 while the version is already training."""
    version_id = version.id
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
    enqueue(session, job, on_unsent=lambda: setattr(version, "status", before))
    return JobOut.model_validate(job)
