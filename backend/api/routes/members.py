"""A project's members and their roles. Changing them is for the project's owners."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import func, select

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, NotFound
from backend.api.guard import OWNER_ONLY, MemberDep, ProjectDep
from backend.api.schemas.accounts import MemberAdd, MemberOut, MemberUpdate
from backend.core.auth import accounts
from backend.core.db.models import ProjectMember, User

router = APIRouter(tags=["members"])


def _out(member: ProjectMember, user: User) -> MemberOut:
    return MemberOut(user_id=user.id, username=user.username, role=member.role,  # type: ignore[arg-type]
                     created_at=member.created_at)


def _keep_an_owner(session: SessionDep, project_id: int, leaving: ProjectMember) -> None:
    """A project never loses its last owner: nobody could manage it any more."""
    if leaving.role != "owner":
        return
    owners = session.scalar(select(func.count()).select_from(ProjectMember)
                            .where(ProjectMember.project_id == project_id, ProjectMember.role == "owner"))
    if (owners or 0) <= 1:
        raise Conflict("this is the project's last owner: make someone else owner first")


@router.get("/projects/{project_id}/members", operation_id="listMembers")
def list_members(project: ProjectDep, session: SessionDep) -> list[MemberOut]:
    rows = session.execute(select(ProjectMember, User).join(User, User.id == ProjectMember.user_id)
                           .where(ProjectMember.project_id == project.id).order_by(User.username))
    return [_out(m, u) for m, u in rows]


@router.post("/projects/{project_id}/members", status_code=201, operation_id="addMember",
             openapi_extra=OWNER_ONLY)
def add_member(project: ProjectDep, body: MemberAdd, session: SessionDep) -> MemberOut:
    user = accounts.user_by_name(session, body.username)
    if user is None:
        raise NotFound("user", repr(body.username))
    if session.get(ProjectMember, (project.id, user.id)) is not None:
        raise Conflict(f"{user.username} is already a member; change their role with PATCH")
    member = ProjectMember(project_id=project.id, user_id=user.id, role=body.role)
    session.add(member)
    session.commit()
    return _out(member, user)


@router.patch("/projects/{project_id}/members/{user_id}", operation_id="updateMember", openapi_extra=OWNER_ONLY)
def update_member(project: ProjectDep, found: MemberDep, body: MemberUpdate, session: SessionDep) -> MemberOut:
    if body.role != "owner":
        _keep_an_owner(session, project.id, found.member)
    found.member.role = body.role
    session.commit()
    return _out(found.member, found.user)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204, operation_id="removeMember",
               openapi_extra=OWNER_ONLY)
def remove_member(project: ProjectDep, found: MemberDep, session: SessionDep) -> Response:
    _keep_an_owner(session, project.id, found.member)
    session.delete(found.member)
    session.commit()
    return Response(status_code=204)
