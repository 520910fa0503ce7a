from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.api.deps import SessionDep, get_or_404
from backend.api.errors import Conflict
from backend.db.models import Dataset, Job, ModelVersion, Project
from backend.schemas.projects import ProjectCreate, ProjectOut, ProjectSummary, ProjectUpdate

router = APIRouter(prefix="/projects", tags=["projects"])


def get_project_or_404(session: SessionDep, project_id: int) -> Project:
    return get_or_404(session, Project, project_id, "project")


def _commit_unique_name(session: SessionDep, name: str | None) -> None:
    """Project names are unique: a clash is a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise Conflict(f"a project named {name!r} already exists") from e


def _summarise(session: SessionDep, project: Project) -> ProjectOut:
    out = ProjectOut.model_validate(project)
    datasets, samples = session.execute(
        select(func.count(Dataset.id), func.coalesce(func.sum(Dataset.num_samples), 0))
        .where(Dataset.project_id == project.id)
    ).one()
    versions = session.scalar(select(func.count(ModelVersion.id)).where(ModelVersion.project_id == project.id))
    last_job = session.scalar(select(func.max(Job.updated_at)).where(Job.project_id == project.id))
    out.summary = ProjectSummary(
        datasets=datasets, samples=samples, versions=versions or 0,
        last_activity=max(filter(None, [last_job, project.updated_at])),
    )
    return out


@router.get("", operation_id="listProjects")
def list_projects(session: SessionDep) -> list[ProjectOut]:
    projects = session.scalars(select(Project).order_by(Project.updated_at.desc())).all()
    return [_summarise(session, p) for p in projects]


@router.post("", status_code=201, operation_id="createProject")
def create_project(body: ProjectCreate, session: SessionDep) -> ProjectOut:
    project = Project(name=body.name, description=body.description, ui_state={})
    session.add(project)
    _commit_unique_name(session, body.name)
    return _summarise(session, project)


@router.get("/{project_id}", operation_id="getProject")
def get_project(project_id: int, session: SessionDep) -> ProjectOut:
    return _summarise(session, get_project_or_404(session, project_id))


@router.patch("/{project_id}", operation_id="updateProject")
def update_project(project_id: int, body: ProjectUpdate, session: SessionDep) -> ProjectOut:
    project = get_project_or_404(session, project_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(project, field, value)
    _commit_unique_name(session, body.name)
    return _summarise(session, project)


@router.delete("/{project_id}", status_code=204, operation_id="deleteProject")
def delete_project(project_id: int, session: SessionDep) -> Response:
    project = get_project_or_404(session, project_id)
    session.delete(project)
    session.commit()
    return Response(status_code=204)
