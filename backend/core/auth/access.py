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

from backend.core.db.models import Analysis, Dataset, Job, ModelVersion, Project, ProjectMember, Sample, Sweep, User

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


def project_and_role(session: Session, param: str, ident: int, user: User) -> tuple[int, str | None]:
    """(project of the row `param=ident`, the user's role there) in one round trip. The project is
    MISSING when there is no such row and NO_PROJECT when the row has none; the role is None for a
    non-member and owner for an administrator."""
    found = PROJECT_OF[param](ident).subquery()
    if user.is_admin:
        row = session.execute(select(found.c[0])).first()
        role: str | None = "owner"
    else:
        # The membership is a LEFT JOIN on the row's project: one statement per request instead of two
        # on the hottest path (every GET of the dashboard goes through here).
        row = session.execute(
            select(found.c[0], ProjectMember.role).select_from(found).outerjoin(
                ProjectMember, (ProjectMember.project_id == found.c[0]) & (ProjectMember.user_id == user.id))
        ).first()
        role = row[1] if row is not None else None
    if row is None:
        return MISSING, None
    return (int(row[0]), role) if row[0] is not None else (NO_PROJECT, None)


def allows(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


def visible_projects(user: User) -> Select[Any] | None:
    """The ids of the projects the user may see, as a subquery; None for an administrator (all)."""
    if user.is_admin:
        return None
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
