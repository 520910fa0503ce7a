"""Accounts: users, their credentials (API tokens, browser sessions, one-time login links) and project
membership with a role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db.base import Base, TimestampMixin, UtcDateTime

ROLES = ("viewer", "editor", "owner")
CREDENTIAL_KINDS = ("token", "session", "login_link")


class User(TimestampMixin, Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # None: the account can only sign in with a one-time link (the embedded default's local admin).
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    # A site administrator acts as an owner of every project.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class Credential(TimestampMixin, Base):
    """Everything that proves who a request comes from, one row per secret. Only an HMAC of the secret is
    stored (see backend/core/auth/secrets.py), so a copy of the database signs no one in."""

    __tablename__ = "credential"
    __table_args__ = (Index("ix_credential_user_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, so that a user can tell their tokens apart in a list.
    prefix: Mapped[str] = mapped_column(String(16), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    # Sessions only: the value the browser must echo in X-CSRF-Token on state-changing requests.
    csrf_token: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class ProjectMember(TimestampMixin, Base):
    __tablename__ = "project_member"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    role: Mapped[str] = mapped_column(String(16))
