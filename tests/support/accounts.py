"""Accounts for tests: users with tokens, made straight in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from backend.core.auth import accounts
from backend.core.db.models import ProjectMember

ADMIN = "admin"


def user_token(factory: sessionmaker[Session], username: str, is_admin: bool = False,
               password: str | None = None) -> str:
    """A new API token for `username`, creating the user on first use."""
    with factory() as s:
        user = accounts.user_by_name(s, username) or accounts.create_user(s, username, password, is_admin=is_admin)
        issued = accounts.issue(s, user, "token", name="test")
        s.commit()
        return issued.secret


def admin_token(factory: sessionmaker[Session]) -> str:
    return user_token(factory, ADMIN, is_admin=True)


def add_member(factory: sessionmaker[Session], project_id: int, username: str, role: str) -> None:
    with factory() as s:
        user = accounts.user_by_name(s, username)
        assert user is not None
        s.add(ProjectMember(project_id=project_id, user_id=user.id, role=role))
        s.commit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
