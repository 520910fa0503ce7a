"""What /api/health and /api/ready report: the database, the broker and the workers, each within ~2 s."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.core.db.models import WorkerBeat
from backend.core.jobs.app import get_celery
from backend.core.settings import get_settings

BROKER_TIMEOUT_S = 2.0
# Liveness is polled often; one broker probe every few seconds is enough and keeps /health cheap.
BROKER_CACHE_S = 3.0

_broker_lock = threading.Lock()
_broker_cache: tuple[float, str] | None = None


def _why(e: BaseException) -> str:
    return f"down: {type(e).__name__}: {str(e)[:200]}"


def database_state(session: Session) -> str:
    try:
        session.execute(text("SELECT 1"))
        return "ok"
    except Exception as e:
        session.rollback()
        return _why(e)


def broker_state(*, cached: bool = False) -> str:
    """'ok' when a connection to the broker opens within BROKER_TIMEOUT_S, else 'down: <why>'."""
    global _broker_cache
    with _broker_lock:
        if cached and _broker_cache is not None and time.monotonic() - _broker_cache[0] < BROKER_CACHE_S:
            return _broker_cache[1]
    try:
        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
        state = "ok"
    except Exception as e:
        state = _why(e)
    with _broker_lock:
        _broker_cache = (time.monotonic(), state)
    return state


def worker_window() -> timedelta:
    """A worker is alive if it beat within three heartbeat periods (it beats every period)."""
    return timedelta(seconds=max(3 * get_settings().heartbeat_seconds, 10))


def worker_state(session: Session) -> str:
    try:
        last = session.scalar(select(func.max(WorkerBeat.seen_at)))
    except Exception as e:
        session.rollback()
        return _why(e)
    if last is None:
        return "down: no worker has started"
    age = datetime.now(UTC) - last
    if age > worker_window():
        return f"down: no worker heartbeat for {int(age.total_seconds())} s"
    return "ok"
