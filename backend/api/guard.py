"""The access guard: every id a request carries is resolved here, once, before the route runs, and the route
receives what the guard resolved (the row, or the id it parsed), never the raw text.

Each resolver reads its id as text, parses it strictly (backend/api/ids.py), finds the row with its project
and the caller's role there in one statement (backend/core/auth/access.py), compares that role with the
route's need (GET: viewer; other methods: editor; OWNER_ONLY / VIEWER_ONLY routes as marked) and returns
the row. An id that does not parse is a 422; an id of no row, or of a project the caller is not a member
of, is the same 404, so ids of other people's projects reveal nothing; a member without the role gets 403.
Routes declare what they need by type: `version: VersionDep`, `project: ProjectDep`, an optional query
filter `version: VersionQueryDep`, a body with ids `Annotated[Model, Depends(checked_body(Model, ...))]`.

Ids in bodies carry their kind (`DatasetId`, `SampleId` in backend/api/ids.py): `checked_body` resolves
them all within the project the route was authorized for (404 naming the first missing ones) before
anything is written.

The router-level `authorize` is the second line: a route that takes an id none of these resolvers reads
(backend/api/id_coverage.py) is refused whole, for everyone, instead of being let through.

This module deliberately has no `from __future__ import annotations`: the resolvers are made by factories,
and FastAPI must see their parameters' annotations (the path parameter's name, the body's model) as
objects.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.auth import SAFE_METHODS, CurrentPrincipal, Forbidden, Principal
from backend.api.deps import SessionDep
from backend.api.errors import NotFound, Unprocessable
from backend.api.id_coverage import marked, resolver, unguarded_ids
from backend.api.ids import IdOf, RawId, not_an_id, parse_id
from backend.core.auth import access
from backend.core.db.models import (
    Analysis,
    Credential,
    Dataset,
    Job,
    ModelVersion,
    Project,
    ProjectMember,
    Sample,
    Sweep,
    User,
)

log = logging.getLogger(__name__)
B = TypeVar("B", bound=BaseModel)

# openapi_extra markers: the role a route needs when its method alone does not say it.
OWNER_ONLY: dict[str, Any] = {"x-role": "owner"}
VIEWER_ONLY: dict[str, Any] = {"x-role": "viewer"}  # a POST that changes nothing (e.g. a query)


def needed_role(request: Request) -> str:
    route = request.scope.get("route")
    extra = (route.openapi_extra or {}) if isinstance(route, APIRoute) else {}
    role = extra.get("x-role")
    if isinstance(role, str):
        return role
    return "viewer" if request.method in SAFE_METHODS else "editor"


def strict_id(param: str, raw: str) -> int:
    """The id `raw` spells, or a 422 naming the parameter."""
    ident = parse_id(raw)
    if ident is None:
        raise Unprocessable(not_an_id(param))
    return ident


@dataclass(frozen=True)
class Guard:
    """One request's access decisions: who asks, with which role needed."""

    session: Session
    principal: Principal
    needed: str

    def row(self, kind_name: str, param: str, raw: str, within: int | None = None) -> Any:
        """The row `raw` names, checked; `within`: it must also be a row of that project."""
        kind = access.KINDS[kind_name]
        ident = strict_id(param, raw)
        found = access.find(self.session, kind, ident, self.principal.user)
        if found is None or found.role is None or (within is not None and found.project_id != within):
            raise NotFound(kind.name, ident)
        if not access.allows(found.role, self.needed):
            raise Forbidden(f"you are a {found.role} of project {found.project_id}; this needs the {self.needed} "
                            "role")
        return found.row

    def body_ids(self, body: BaseModel, project_id: int) -> None:
        """Every marked id of the body must be a row of the project (the route's, whose role is checked)."""
        for mark, ids in _marked_ids(body):
            missing = access.missing_in_project(self.session, access.KINDS[mark.kind], ids, project_id)
            if missing:  # as for an id that does not exist: "sample 7 not found"
                shown = ", ".join(str(i) for i in missing[:20]) + (" ..." if len(missing) > 20 else "")
                raise NotFound(mark.kind, shown)


def _marked_ids(model: BaseModel) -> Iterator[tuple[IdOf, list[int]]]:
    """(kind, ids) of every marked field of the body, nested models included (as the coverage check counts
    them)."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        mark = marked(info.annotation, info.metadata)
        if mark is not None and value is not None:
            yield mark, list(value) if isinstance(value, list | tuple) else [value]
        inner = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
        for item in inner:
            if isinstance(item, BaseModel):
                yield from _marked_ids(item)


def request_guard(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Guard:
    return Guard(session, principal, needed_role(request))


GuardDep = Annotated[Guard, Depends(request_guard)]


# -- ids in the path -------------------------------------------------------------------------------
def path_row(kind: str, param: str) -> Callable[..., Any]:
    @resolver
    def resolve(guard: GuardDep, raw: Annotated[RawId, Path(alias=param)]) -> Any:
        return guard.row(kind, param, raw)

    return resolve


project_in_path = path_row("project", "project_id")
version_in_path = path_row("version", "version_id")
ProjectDep = Annotated[Project, Depends(project_in_path)]
VersionDep = Annotated[ModelVersion, Depends(version_in_path)]
DatasetDep = Annotated[Dataset, Depends(path_row("dataset", "dataset_id"))]
SampleDep = Annotated[Sample, Depends(path_row("sample", "sample_id"))]
JobDep = Annotated[Job, Depends(path_row("job", "job_id"))]
SweepDep = Annotated[Sweep, Depends(path_row("sweep", "sweep_id"))]
AnalysisDep = Annotated[Analysis, Depends(path_row("analysis", "analysis_id"))]


@resolver
def sample_of_project(guard: GuardDep, project: ProjectDep,
                      raw: Annotated[RawId, Path(alias="sample_id")]) -> Sample:
    """A sample of the project in the path (flags are per project)."""
    return guard.row("sample", "sample_id", raw, within=project.id)  # type: ignore[no-any-return]


ProjectSampleDep = Annotated[Sample, Depends(sample_of_project)]


@dataclass(frozen=True)
class Member:
    member: ProjectMember
    user: User


@resolver
def member_of_project(session: SessionDep, project: ProjectDep,
                      raw: Annotated[RawId, Path(alias="user_id")]) -> Member:
    """A member of the project in the path, by user id."""
    user_id = strict_id("user_id", raw)
    row = session.execute(select(ProjectMember, User).join(User, User.id == ProjectMember.user_id)
                          .where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)).first()
    if row is None:
        raise NotFound("member", user_id)
    return Member(row[0], row[1])


MemberDep = Annotated[Member, Depends(member_of_project)]


@resolver
def batch_of_project(project: ProjectDep, batch_id: Annotated[str, Path()]) -> str:
    """A batch of flag changes (its id is a uuid4 hex, not a number), which the route looks up within the
    project in the path."""
    if len(batch_id) != 32 or any(c not in "0123456789abcdef" for c in batch_id):
        raise Unprocessable("batch_id: not a batch id (32 hex digits, as a bulk change answered)")
    return batch_id


BatchDep = Annotated[str, Depends(batch_of_project)]


def own_credential(kind: str, param: str) -> Callable[..., Credential]:
    """One of the caller's own credentials of this kind (an API token, a browser session), named by the path
    parameter `param`; 404 for anyone else's: they are not the caller's to see."""
    @resolver
    def resolve(session: SessionDep, principal: CurrentPrincipal,
                raw: Annotated[RawId, Path(alias=param)]) -> Credential:
        ident = strict_id(param, raw)
        cred = session.get(Credential, ident)
        if cred is None or cred.user_id != principal.user.id or cred.kind != kind:
            raise NotFound(kind, ident)
        return cred
    return resolve


OwnTokenDep = Annotated[Credential, Depends(own_credential("token", "token_id"))]
OwnSessionDep = Annotated[Credential, Depends(own_credential("session", "session_id"))]


# -- ids in the query string -----------------------------------------------------------------------
def query_row(kind: str, param: str, description: str | None = None) -> Callable[..., Any]:
    @resolver
    def resolve(guard: GuardDep, raw: Annotated[RawId, Query(alias=param, description=description)]) -> Any:
        return guard.row(kind, param, raw)

    return resolve


def optional_query_row(kind: str, param: str, description: str | None = None) -> Callable[..., Any]:
    @resolver
    def resolve(guard: GuardDep,
                raw: Annotated[RawId | None, Query(alias=param, description=description)] = None) -> Any:
        return None if raw is None else guard.row(kind, param, raw)

    return resolve


VersionQueryDep = Annotated[ModelVersion | None, Depends(optional_query_row("version", "version_id"))]
ProjectQueryDep = Annotated[Project | None, Depends(optional_query_row("project", "project_id"))]
JobQueryDep = Annotated[Job | None, Depends(optional_query_row("job", "job_id"))]
SampleQueryDep = Annotated[Sample | None, Depends(optional_query_row("sample", "sample_id"))]


@resolver
def dataset_of_project(guard: GuardDep, project: ProjectDep, raw: Annotated[RawId | None, Query(
        alias="dataset_id", description="Default: the project's latest ready dataset")] = None) -> Dataset | None:
    """A dataset of the project in the path, named in the query."""
    return None if raw is None else guard.row("dataset", "dataset_id", raw, within=project.id)  # type: ignore[no-any-return]


ProjectDatasetQueryDep = Annotated[Dataset | None, Depends(dataset_of_project)]


# -- ids in a JSON body ----------------------------------------------------------------------------
def checked_body(model: type[B], within: Callable[..., Any]) -> Callable[..., B]:
    """A dependency that reads the body as `model` and resolves its marked ids within the project of the
    row `within` resolves (project_in_path or version_in_path), 404 before the route runs."""

    @resolver
    def resolve(guard: GuardDep, scope: Annotated[Any, Depends(within)], body: model) -> B:  # type: ignore[valid-type]
        guard.body_ids(body, scope.id if isinstance(scope, Project) else scope.project_id)
        return body  # type: ignore[no-any-return]

    return resolve


# -- the second line -------------------------------------------------------------------------------
def refuse_unguarded_ids(request: Request) -> None:
    """Every /api route's first dependency: a route that takes an id some other way than through the
    guard's resolvers is refused whole (fail closed), for everyone."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        raise HTTPException(status_code=500, detail="no route to check")
    # Checked once per route of this app (routes live as long as their app, so their ids are stable).
    checked: dict[int, list[str]] | None = getattr(request.app.state, "unguarded_ids", None)
    if checked is None:
        checked = request.app.state.unguarded_ids = {}
    if id(route) not in checked:
        checked[id(route)] = unguarded_ids(route)
    if checked[id(route)]:
        log.error("refused %s %s: it takes ids the access guard does not resolve: %s", request.method,
                  route.path, ", ".join(checked[id(route)]))
        raise HTTPException(status_code=500, detail="this operation takes an id the access guard does not check; "
                                                    "it is refused until that is fixed")


IdsGuarded = Depends(refuse_unguarded_ids)


def authorize(principal: CurrentPrincipal, _: Annotated[None, IdsGuarded]) -> Principal:
    """The router-level dependency of every project route: a signed-in caller, on a route whose ids the
    guard resolves."""
    return principal


Authorized = Depends(authorize)
