"""/api/health is liveness (always 200, with the broker's state); /api/ready needs the database, the broker
and a worker that heartbeat recently."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.api.services.readiness import worker_window
from backend.core.db.models import WorkerBeat
from worker.job_runner import beat_worker, forget_worker, worker_identity


def test_ready_needs_a_live_worker(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "broker": "ok"}

    none = client.get("/api/ready")
    assert none.status_code == 503
    assert none.json() == {"status": "degraded", "checks": {
        "database": "ok", "broker": "ok", "worker": "down: no worker has started"}}

    beat_worker(session_factory)
    beat_worker(session_factory)  # a second beat updates the same row
    ok = client.get("/api/ready")
    assert ok.status_code == 200 and ok.json() == {
        "status": "ok", "checks": {"database": "ok", "broker": "ok", "worker": "ok"}}

    with session_factory() as s:
        row = s.get_one(WorkerBeat, worker_identity())
        s.execute(update(WorkerBeat).values(seen_at=row.seen_at - worker_window() - timedelta(seconds=5)))
        s.commit()
    stale = client.get("/api/ready")
    assert stale.status_code == 503 and stale.json()["checks"]["worker"].startswith("down: no worker heartbeat for")

    beat_worker(session_factory)
    assert client.get("/api/ready").status_code == 200
    forget_worker(session_factory)
    assert client.get("/api/ready").json()["checks"]["worker"] == "down: no worker has started"
