from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.api.auth import CurrentPrincipal
from backend.api.deps import SessionDep
from backend.api.errors import Conflict
from backend.api.guard import OWNER_ONLY, ProjectDep
from backend.api.schemas.projects import ProjectCreate, ProjectOut, ProjectSummary, ProjectUpdate
from backend.api.services.project_storage import project_files, remove_files
from backend.core.artifacts import get_store
from backend.core.auth.access import visible_projects
from backend.core.db.models import Dataset, Job, ModelVersion, Project, ProjectMember

router = APIRouter(prefix="/projects", tags=["projects"])


def _unique_name(session: SessionDep, name: str | None, write: Callable[[], None]) -> None:
    """Project names are unique: a clash on `write` (flush or commit) is a 409, not a 500."""
    try:
        write()
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
def list_projects(principal: CurrentPrincipal, session: SessionDep) -> list[ProjectOut]:
    """The projects the caller is a member of (every project for an administrator)."""
    q = select(Project).order_by(Project.updated_at.desc())
    visible = visible_projects(principal.user)
    if visible is not None:
        q = q.where(Project.id.in_(visible))
    projects = session.scalars(q).all()
    return [_summarise(session, p) for p in projects]


@router.post("", status_code=201, operation_id="createProject")
def create_project(body: ProjectCreate, principal: CurrentPrincipal, session: SessionDep) -> ProjectOut:
    """Any signed-in user can create a project, and owns it."""
    project = Project(name=body.name, description=body.description, ui_state={})
    session.add(project)
    _unique_name(session, body.name, session.flush)  # the member row needs the project's id
    session.add(ProjectMember(project_id=project.id, user_id=principal.user.id, role="owner"))
    session.commit()
    return _summarise(session, project)


@router.get("/{project_id}", operation_id="getProject")
def get_project(project: ProjectDep, session: SessionDep) -> ProjectOut:
    return _summarise(session, project)


@router.patch("/{project_id}", operation_id="updateProject")
def update_project(project: ProjectDep, body: ProjectUpdate, session: SessionDep) -> ProjectOut:
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(project, field, value)
    _unique_name(session, body.name, session.commit)
    return _summarise(session, project)


@router.delete("/{project_id}", status_code=204, operation_id="deleteProject", openapi_extra=OWNER_ONLY)
def delete_project(project: ProjectDep, session: SessionDep, background: BackgroundTasks) -> Response:
    files = project_files(session, project.id)
    session.delete(project)
    session.commit()
    # After the answer: removing gigabytes (or thousands of objects from S3) need not hold the request.
    background.add_task(remove_files, get_store(), files)
    return Response(status_code=204)
