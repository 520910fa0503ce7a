from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.session import API_SESSIONS
from backend.core.settings import Settings, get_settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request (see SessionDep). Async so that opening and closing it (no I/O but
    returning the connection) never waits for a thread-pool slot."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.close()


# Under load (100 connections on a pool of 30), a sync route holds its connection while it waits for a
# thread to serialize its response, and threads block waiting for connections: a deadlock until the
# pool's 30 s timeout. So: at most API_SESSIONS sessions at once, the other requests wait without a
# thread (max_concurrency), and each session is closed once the response is built, not after it is
# sent to a slow client (scope="function"). Streaming routes open their own session for the body.
# One Depends object, so that every route shares the one limit.
SessionDep = Annotated[Session, Depends(get_db, scope="function", max_concurrency=API_SESSIONS)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

