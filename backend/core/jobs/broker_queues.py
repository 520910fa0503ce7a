"""Looking into the broker's queues: which task messages wait in a lane, in the order workers will take them.

Recovery asks this before re-sending a PENDING job (a message still queued is waiting, not lost), the jobs
views show a waiting job's position from it, and cancelling a queued job removes its message here. Two
brokers are read directly: Redis (a lane is a list, LPUSHed by senders and BRPOPed by workers) and the
embedded kombu SQLAlchemy transport (a lane is rows of its message table; a delivered message is hidden,
not deleted). Other brokers (AMQP) can't be looked into without consuming: `Unknown` says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kombu.entity import Queue

from backend.core.jobs.lanes import LANE_ORDER, Lane, queue_name
from backend.core.settings import get_settings


class Unknown(Exception):
    """The broker can't be looked into (not one we can read, or unreachable)."""


@dataclass(frozen=True)
class Queued:
    task_id: str
    # How the message is spelled in the broker, to remove exactly it (Redis: the list item; SQL: the row id).
    handle: Any


def waiting(lane: Lane) -> list[Queued]:
    """The messages waiting in `lane`, the next one a worker takes first. Raises Unknown."""
    url = get_settings().celery_broker
    try:
        if url.startswith(("redis://", "rediss://")):
            return _redis_waiting(url, queue_name(lane))
        if url.startswith("sqla+"):
            return _sql_waiting(url, queue_name(lane))
    except Unknown:
        raise
    except Exception as e:  # a broker that is down: the caller decides nothing this round
        raise Unknown(f"{type(e).__name__}: {e}") from e
    raise Unknown(f"can't look into the queues of {url.split(':', 1)[0]} brokers")


def positions() -> dict[str, tuple[Lane, int]]:
    """task id -> (lane, 1-based position) of every waiting message; {} when the broker can't tell."""
    found: dict[str, tuple[Lane, int]] = {}
    try:
        for lane in Lane:
            for i, q in enumerate(waiting(lane)):
                found.setdefault(q.task_id, (lane, i + 1))
    except Unknown:
        return {}
    return found


def remove(lane: Lane, task_id: str) -> bool:
    """Take the task's waiting message out of the lane (a cancelled job). False if none was waiting."""
    url = get_settings().celery_broker
    try:
        mine = [q for q in waiting(lane) if q.task_id == task_id]
    except Unknown:
        return False
    removed = False
    for q in mine:
        if url.startswith("sqla+"):
            from sqlalchemy import text

            with _sql(url) as conn:
                removed |= bool(conn.execute(text("DELETE FROM kombu_message WHERE id = :id"),
                                             {"id": q.handle}).rowcount)
        else:
            removed |= bool(_redis(url).lrem(queue_name(lane), 1, q.handle))
    return removed


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def waiting_message(lane: Lane, position: int) -> str:
    """The status text of a job whose message waits in its lane."""
    return f"waiting: {ordinal(position)} in the {lane} lane"


# -- Redis -----------------------------------------------------------------------------------------
_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    import redis

    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    return _clients[url]


def _redis_waiting(url: str, queue: str) -> list[Queued]:
    items = _redis(url).lrange(queue, 0, -1)
    # Workers BRPOP: the list's last item is the next one taken.
    return [Queued(_task_id(raw), raw) for raw in reversed(items)]


# -- the embedded broker (kombu's SQLAlchemy transport) ------------------------------------------------
@contextmanager
def _sql(url: str) -> Iterator[Any]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url.removeprefix("sqla+"), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _sql_waiting(url: str, queue: str) -> list[Queued]:
    from sqlalchemy import inspect, text

    with _sql(url) as conn:
        if not inspect(conn).has_table("kombu_message"):
            return []  # nothing was ever sent
        rows = conn.execute(text(
            "SELECT m.id, m.payload FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
            "WHERE q.name = :queue AND m.visible ORDER BY m.timestamp, m.id"), {"queue": queue}).all()
    return [Queued(_task_id(payload), ident) for ident, payload in rows]


def _task_id(raw: str | bytes) -> str:
    try:
        return str(json.loads(raw)["headers"]["id"])
    except (ValueError, KeyError, TypeError):
        return ""  # not a Celery protocol-2 message: never one of ours


def declare_queues() -> None:
    """Create every lane's queue in the broker now. kombu's SQLAlchemy transport creates a queue's row on first
    use with a look-then-insert, so two embedded workers starting together on a new broker file could both
    insert it: the loser died at start-up ("UNIQUE constraint failed: kombu_queue.name") and its lane's jobs
    waited forever. `serve` calls this before it starts them."""
    from kombu.connection import Connection

    with Connection(get_settings().celery_broker) as conn:  # type: ignore[no-untyped-call]
        for queue in lane_queues():
            queue(conn.default_channel).declare()  # type: ignore[no-untyped-call]


def lane_queues() -> list[Queue]:
    """Each lane's kombu queue, interactive first: what the Celery app routes to and what `serve` declares."""
    return [Queue(queue_name(lane)) for lane in LANE_ORDER]  # type: ignore[no-untyped-call]
