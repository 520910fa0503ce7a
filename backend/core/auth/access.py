"""Who may do what in a project. Roles are ordered: viewer (read) < editor (train, flag, analyze) <
owner (members, delete). A site administrator counts as an owner everywhere.

Requests name projects indirectly (a version, a job, a sample...): `KINDS` says, for each kind of row a
request can name, how to reach its project, so that the API finds a row, its project and the caller's
role there in one statement (backend/api/guard.py), from this one table instead of in every handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.core.db.base import Base
from backend.core.db.models import Analysis, Dataset, Job, ModelVersion, Project, ProjectMember, Sample, Sweep, User

ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}


@dataclass(frozen=True)
class RowKind:
    """A kind of row that requests name by id, and the way to its project."""

    name: str  # what an error calls it: "version 7 not found"
    model: type[Base]
    key: InstrumentedAttribute[int]  # the primary key
    project: InstrumentedAttribute[Any]  # the project id, on the row or on a joined one
    joins: tuple[tuple[type[Base], ColumnElement[bool]], ...] = ()

    def select(self, *columns: Any) -> Select[Any]:
        q = select(*columns)
        for target, on in self.joins:
            q = q.join(target, on)
        return q


KINDS: dict[str, RowKind] = {k.name: k for k in (
    RowKind("project", Project, Project.id, Project.id),
    RowKind("version", ModelVersion, ModelVersion.id, ModelVersion.project_id),
    RowKind("dataset", Dataset, Dataset.id, Dataset.project_id),
    RowKind("job", Job, Job.id, Job.project_id),
    RowKind("sweep", Sweep, Sweep.id, Sweep.project_id),
    RowKind("analysis", Analysis, Analysis.id, ModelVersion.project_id,
            ((ModelVersion, ModelVersion.id == Analysis.version_id),)),
    RowKind("sample", Sample, Sample.id, Dataset.project_id, ((Dataset, Dataset.id == Sample.dataset_id),)),
)}


@dataclass(frozen=True)
class Found:
    row: Any
    project_id: int | None  # None: a row of no project (a job started outside any project)
    role: str | None  # the caller's role in that project; None for a non-member


def find(session: Session, kind: RowKind, ident: int, user: User) -> Found | None:
    """The row `ident` of `kind`, its project and the user's role there, in one round trip; None when
    there is no such row. An administrator is an owner everywhere."""
    q = kind.select(kind.model, kind.project)
    if not user.is_admin:
        # The membership is a LEFT JOIN on the row's project: one statement per id instead of two on the
        # hottest path (every GET of the dashboard comes through here).
        q = q.add_columns(ProjectMember.role).outerjoin(
            ProjectMember, (ProjectMember.project_id == kind.project) & (ProjectMember.user_id == user.id))
    row = session.execute(q.where(kind.key == ident)).first()
    if row is None:
        return None
    if user.is_admin:
        return Found(row[0], row[1], "owner")
    return Found(row[0], row[1], row[2] if row[1] is not None else None)


def missing_in_project(session: Session, kind: RowKind, ids: Iterable[int], project_id: int) -> list[int]:
    """Those of `ids` that are not rows of `kind` in the project, in the order given."""
    wanted = list(dict.fromkeys(ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 1000):  # stay under bind-parameter limits
        chunk = wanted[start:start + 1000]
        found.update(session.scalars(kind.select(kind.key).where(kind.key.in_(chunk), kind.project == project_id)))
    return [i for i in wanted if i not in found]


def allows(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


def visible_projects(user: User) -> Select[Any] | None:
    """The ids of the projects the user may see, as a subquery; None for an administrator (all)."""
    if user.is_admin:
        return None
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
