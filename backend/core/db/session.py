"""Engine and session factory. One place decides how to talk to SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend.core.settings import get_settings

# Connections per process. The API lets at most API_SESSIONS requests hold a session at once (see
# backend/api/deps.py), leaving the rest for streaming responses and background threads.
POOL_SIZE = 10
MAX_OVERFLOW = 20
API_SESSIONS = POOL_SIZE + MAX_OVERFLOW - 6


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        # The API, the worker and the broker share one file: WAL lets readers run during a write,
        # and the busy timeout turns brief lock contention into waiting instead of errors.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # pre-ping: a connection that died with the server is replaced, so the API recovers by itself.
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return make_engine(get_settings().db_url)


@lru_cache(maxsize=1)
def default_session_factory() -> sessionmaker[Session]:
    return make_session_factory(default_engine())


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = (factory or default_session_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
