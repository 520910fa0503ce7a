from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from backend.api.errors import NotFound
from backend.db.base import Base
from backend.settings import Settings, get_settings

M = TypeVar("M", bound=Base)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request, closed on the event loop (it does no I/O until a sync route uses it).

    Not a sync generator: FastAPI runs a sync dependency's teardown on the thread pool, so under load
    every pool thread could sit waiting for a database connection while the sessions holding those
    connections wait for a thread to close them, a deadlock broken only by the pool's 30 s timeout.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_or_404(session: Session, model: type[M], ident: int, what: str) -> M:
    """The row with this primary key, or a 404 naming `what` ("version 7 not found")."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row
