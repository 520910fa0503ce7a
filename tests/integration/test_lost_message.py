"""A job whose task message was lost before any worker saw it still runs: a real worker resends it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Job
from backend.core.jobs.app import get_celery
from tests.support.imdb_fake import small_reviews, write_layout
from tests.support.polling import wait_for_job
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration


# One database is enough here: tests/db/test_job_recovery.py covers the resend on both.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_worker_resends_a_pending_job_whose_message_was_lost(
        client: TestClient, session_factory: sessionmaker[Session], env: dict[str, str], data_dir: Path,
        tmp_path: Path) -> None:
    root = write_layout(tmp_path, small_reviews())
    pid = client.post("/api/projects", json={"name": "lost"}).json()["id"]
    r = client.post(f"/api/projects/{pid}/datasets/imdb",
                    json={"path": str(root), "val_size": 2, "tokenizer": {"vocab_size": 100}})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    # The broker loses the message (no worker was running), and the job has waited longer than a lease.
    assert get_celery().control.purge() == 1
    with session_factory() as s:
        s.execute(update(Job).where(Job.id == job_id).values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
        s.commit()

    worker = WorkerProcess(env, data_dir / f"worker-{uuid.uuid4().hex[:6]}.log")
    worker.start()
    try:
        job = wait_for_job(client, job_id, worker, timeout=120)
    finally:
        worker.stop()
    assert job["state"] == "SUCCESS", job
    assert "re-enqueued orphaned jobs" in worker.log() or "queued again" in worker.log()
