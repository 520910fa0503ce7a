"""Signed-in callers for the benchmarks that go through the API: auth stays on, as in production, so the
figures include what resolving a token and checking access cost."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.auth import accounts
from backend.core.db.models import ProjectMember, User
from backend.core.db.session import make_engine, make_session_factory
from backend.core.settings import get_settings

# Long enough for any run; a token left in a database the benchmark did not create dies on its own.
LIFETIME = timedelta(hours=2)


def admin_token(factory: sessionmaker[Session]) -> str:
    """A token of the database's first administrator (in someone's own database, no new account), or of a
    new local administrator (as `lensboard serve` makes) where there is none."""
    with factory() as s:
        user = s.scalars(select(User).where(User.is_admin, User.disabled.is_(False)).order_by(User.id)).first()
        if user is None:
            user = accounts.create_user(s, accounts.LOCAL_ADMIN, is_admin=True)
        issued = accounts.issue(s, user, "token", name="bench", lifetime=LIFETIME)
        s.commit()
        return issued.secret


def owner_token(factory: sessionmaker[Session], project_id: int, username: str = "bench") -> str:
    """A token of an ordinary user who owns the project: every request then pays for the membership
    lookup, as a dashboard user's does (an administrator's skips it)."""
    with factory() as s:
        user = accounts.user_by_name(s, username) or accounts.create_user(s, username)
        if s.get(ProjectMember, (project_id, user.id)) is None:
            s.add(ProjectMember(project_id=project_id, user_id=user.id, role="owner"))
        issued = accounts.issue(s, user, "token", name="bench", lifetime=LIFETIME)
        s.commit()
        return issued.secret


def served_admin_token(data: Path, database_url: str) -> str:
    """admin_token for a `lensboard serve` the bench started on `data`: after its start-up, which makes the
    local administrator, and with this process's settings pointed at that data folder, whose key signs the
    token (any DATABASE_URL, broker or key of the caller's own environment is left out)."""
    os.environ.update(LENSBOARD_DATA_DIR=str(data))
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "LENSBOARD_SECRET_KEY"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
    engine = make_engine(database_url)
    try:
        return admin_token(make_session_factory(engine))
    finally:
        engine.dispose()
