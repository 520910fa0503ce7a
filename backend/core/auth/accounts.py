"""Users and their credentials. The API routes, the CLI and `lensboard serve` all go through here."""

from __future__ import annotations

import re
import secrets as pysecrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.core.auth.passwords import DUMMY_HASH, MIN_PASSWORD_LENGTH, hash_password, verify_password
from backend.core.auth.secrets import hash_secret, new_secret
from backend.core.db.base import utcnow
from backend.core.db.models import Credential, User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
SESSION_LIFETIME = timedelta(days=14)
LOGIN_LINK_LIFETIME = timedelta(hours=24)
# last_used_at is bookkeeping, not security: writing it at most this often keeps reads read-only.
LAST_USED_GRANULARITY = timedelta(minutes=5)
LOCAL_ADMIN = "admin"


class AccountError(ValueError):
    """Invalid account input, reported to the user as is."""


class UserExists(AccountError):
    pass


@dataclass(frozen=True)
class Issued:
    credential: Credential
    secret: str  # shown once, never stored


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise AccountError("a username is 1-64 letters, digits or _ . @ -, starting with a letter or digit")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise AccountError("a password is at most 1024 characters")
    return password


def create_user(session: Session, username: str, password: str | None = None, is_admin: bool = False) -> User:
    check_username(username)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(username=username, is_admin=is_admin,
                password_hash=hash_password(check_password(password)) if password is not None else None)
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(check_password(password))


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = user_by_name(session, username)
    if user is None or user.disabled or user.password_hash is None:
        verify_password(DUMMY_HASH, password)  # same work as a real check: no username oracle by timing
        return None
    return user if verify_password(user.password_hash, password) else None


def issue(session: Session, user: User, kind: str, name: str = "",
          lifetime: timedelta | None = None) -> Issued:
    secret = new_secret(kind)
    cred = Credential(user_id=user.id, kind=kind, token_hash=hash_secret(secret), prefix=secret[:12],
                      name=name, expires_at=utcnow() + lifetime if lifetime else None,
                      csrf_token=pysecrets.token_urlsafe(32) if kind == "session" else None)
    session.add(cred)
    session.flush()
    return Issued(cred, secret)


def resolve(session: Session, secret: str, kind: str) -> tuple[Credential, User] | None:
    """The live credential of this kind with this secret, and its (enabled) user."""
    if not secret or len(secret) > 200:
        return None
    row = session.execute(
        select(Credential, User).join(User, User.id == Credential.user_id)
        .where(Credential.token_hash == hash_secret(secret), Credential.kind == kind)
    ).first()
    if row is None:
        return None
    cred, user = row
    now = utcnow()
    if cred.revoked_at is not None or (cred.expires_at is not None and cred.expires_at <= now) or user.disabled:
        return None
    return cred, user


def is_live(session: Session, credential_id: int) -> bool:
    """Whether the credential still signs its user in (not revoked or expired, the user not disabled): what
    a long-lived response (the jobs stream) re-asks while it runs."""
    row = session.execute(
        select(Credential.revoked_at, Credential.expires_at, User.disabled)
        .join(User, User.id == Credential.user_id).where(Credential.id == credential_id)
    ).first()
    if row is None:
        return False
    revoked_at, expires_at, disabled = row
    return revoked_at is None and (expires_at is None or expires_at > utcnow()) and not disabled


def live_credentials(session: Session, user_id: int, kind: str) -> list[Credential]:
    now = utcnow()
    return list(session.scalars(
        select(Credential).where(Credential.user_id == user_id, Credential.kind == kind,
                                 Credential.revoked_at.is_(None),
                                 (Credential.expires_at.is_(None)) | (Credential.expires_at > now))
        .order_by(Credential.id)))


def revoke_others(session: Session, user_id: int, kinds: tuple[str, ...], keep: int | None) -> int:
    """Revoke the user's live credentials of these kinds except `keep` (the one in use); how many."""
    q = (update(Credential).where(Credential.user_id == user_id, Credential.kind.in_(kinds),
                                  Credential.revoked_at.is_(None)).values(revoked_at=utcnow()))
    if keep is not None:
        q = q.where(Credential.id != keep)
    return int(session.execute(q).rowcount)  # type: ignore[attr-defined]


def touch(session: Session, cred: Credential) -> None:
    now = utcnow()
    if cred.last_used_at is None or now - cred.last_used_at > LAST_USED_GRANULARITY:
        session.execute(update(Credential).where(Credential.id == cred.id).values(last_used_at=now))
        session.commit()


def consume_login_link(session: Session, secret: str) -> User | None:
    """A one-time link signs in once: the UPDATE ... WHERE revoked_at IS NULL makes two racing uses
    of one link give one session."""
    found = resolve(session, secret, "login_link")
    if found is None:
        return None
    cred, user = found
    used = session.execute(update(Credential).where(Credential.id == cred.id, Credential.revoked_at.is_(None))
                           .values(revoked_at=utcnow(), last_used_at=utcnow()))
    return user if used.rowcount == 1 else None  # type: ignore[attr-defined]


def revoke(session: Session, cred: Credential) -> None:
    if cred.revoked_at is None:
        cred.revoked_at = utcnow()


def local_admin_link(session: Session) -> str:
    """The embedded default's sign-in: a local administrator (created on first use, without a password)
    and a fresh one-time link for it, as Jupyter prints a token at start."""
    user = user_by_name(session, LOCAL_ADMIN)
    if user is None:
        user = create_user(session, LOCAL_ADMIN, is_admin=True)
    issued = issue(session, user, "login_link", name="serve", lifetime=LOGIN_LINK_LIFETIME)
    session.commit()
    return issued.secret

