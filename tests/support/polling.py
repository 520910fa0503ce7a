"""Waiting on jobs through the API, with the worker's log in the failure message."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.support.worker_process import WorkerProcess

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


def wait_for_job(client: TestClient, job_id: int, worker: WorkerProcess | None = None,
                 timeout: float = 240.0, until: Callable[[dict[str, Any]], bool] | None = None,
                 interval: float = 0.1) -> dict[str, Any]:
    """Poll GET /api/jobs/{id} until it finishes (or `until(job)` holds); return the job."""
    done = until or (lambda j: j["state"] in FINISHED)
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/api/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        if done(job):
            return job
        if until is not None and job["state"] in FINISHED:
            break
        time.sleep(interval)
    log = worker.log() if worker is not None else ""
    raise AssertionError(f"job {job_id} did not get there in {timeout}s: {job}\nworker log:\n{log}")
