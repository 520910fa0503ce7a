"""Who may do what in a project. Roles are ordered: viewer (read) < editor (train, flag, analyze) <
owner (members, delete). A site administrator counts as an owner everywhere.

Requests name projects indirectly (a version, a job, a sample...): `PROJECT_OF` maps each kind of id
that can appear in a path or query to the query that finds its project, so the API checks access for
every route from this one table instead of in every handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.db.models import Analysis, Dataset, Job, ModelVersion, Project, ProjectMember, Sample, Sweep, User

ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}

PROJECT_OF: dict[str, Callable[[int], Select[Any]]] = {
    "project_id": lambda i: select(Project.id).where(Project.id == i),
    "version_id": lambda i: select(ModelVersion.project_id).where(ModelVersion.id == i),
    "dataset_id": lambda i: select(Dataset.project_id).where(Dataset.id == i),
    "job_id": lambda i: select(Job.project_id).where(Job.id == i),
    "sweep_id": lambda i: select(Sweep.project_id).where(Sweep.id == i),
    "analysis_id": lambda i: (select(ModelVersion.project_id)
                              .join(Analysis, Analysis.version_id == ModelVersion.id).where(Analysis.id == i)),
    "sample_id": lambda i: (select(Dataset.project_id)
                            .join(Sample, Sample.dataset_id == Dataset.id).where(Sample.id == i)),
}
# Query parameters that name a version (GET /versions/compare?a=&b=).
VERSION_QUERY_PARAMS = ("a", "b")

# What the project lookup found: the id does not exist, or it belongs to no project (a job of no project).
MISSING = -1
NO_PROJECT = 0


def project_of(session: Session, param: str, ident: int) -> int:
    """The project of the row `param=ident`; MISSING when there is none, NO_PROJECT when it has none."""
    rows = session.execute(PROJECT_OF[param](ident)).first()
    if rows is None:
        return MISSING
    return int(rows[0]) if rows[0] is not None else NO_PROJECT


def role_in(session: Session, user: User, project_id: int) -> str | None:
    """The user's role in the project (owner for an administrator), None for a non-member."""
    if user.is_admin:
        return "owner"
    return session.scalar(select(ProjectMember.role).where(ProjectMember.project_id == project_id,
                                                           ProjectMember.user_id == user.id))


def allows(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


def visible_projects(user: User) -> Select[Any] | None:
    """The ids of the projects the user may see, as a subquery; None for an administrator (all)."""
    if user.is_admin:
        return None
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
