from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.api.schemas.common import ORMModel

Role = Literal["viewer", "editor", "owner"]


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(ORMModel):
    id: int
    username: str
    is_admin: bool
    created_at: datetime


class MeOut(UserOut):
    has_password: bool
    csrf_token: str | None = Field(default=None, description="The session's CSRF token (session sign-ins only)")


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    is_admin: bool = False


class PasswordChange(BaseModel):
    current_password: str | None = Field(default=None, max_length=1024,
                                         description="Required when the account already has a password")
    new_password: str = Field(min_length=8, max_length=1024)
    revoke_tokens: bool = Field(default=False, description=(
        "Also revoke the user's personal API tokens (all but the one making this request). The user's other "
        "browser sessions are always signed out"))


class SessionOut(ORMModel):
    """A browser session of the caller: `name` is the browser's User-Agent when it signed in."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    current: bool = Field(default=False, description="The session making this request")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="Default: never expires")


class TokenOut(ORMModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown only now: only a hash of it is stored")


class MemberOut(BaseModel):
    user_id: int
    username: str
    role: Role
    created_at: datetime


class MemberAdd(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: Role


class MemberUpdate(BaseModel):
    role: Role
