from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from backend.api.errors import NotFound
from backend.db.base import Base
from backend.settings import Settings, get_settings

M = TypeVar("M", bound=Base)


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_or_404(session: Session, model: type[M], ident: int, what: str) -> M:
    """The row with this primary key, or a 404 naming `what` ("version 7 not found")."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row
