"""A worker that stalls past its lease (SIGSTOP: a frozen VM, a long GC pause, a laptop lid) is taken
over by a fresh worker, which finishes the job. When the stalled worker wakes up (SIGCONT) it must
notice that it lost the job and leave alone what the new holder did: the map stays done, the job stays
succeeded."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import Job
from tests.conftest import reset_caches
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN, train_version
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

WORKER_ENV = {"LENSBOARD_JOB_LEASE_SECONDS": "3", "LENSBOARD_HEARTBEAT_SECONDS": "1",
              "LENSBOARD_TORCH_THREADS": "1"}
FAST_MAP = {"n_epochs": 100, "trust_sample": 300}
ACTIVE = ("STARTED", "PROGRESS")
LOST_JOB = "was cancelled or taken over"  # what run_job logs when a worker finds it lost its job


# Distributed mode only: in embedded mode every process shares SQLite files (the database, and the broker
# that a worker's consumer polls every second), and a process frozen while it holds their lock freezes all
# the others with it. Here the rare freeze inside a transaction on the job row (a heartbeat takes a few ms
# a second) would hold up the new worker's recovery until the test times out.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_worker_waking_up_after_a_takeover_leaves_the_map_done(
        client: TestClient, session_factory: sessionmaker[Session], redis_env: dict[str, str], data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    values = {**redis_env, **WORKER_ENV}
    for key, value in WORKER_ENV.items():  # this process trains too: same lease as the workers
        monkeypatch.setenv(key, value)
    reset_caches()
    stalled = WorkerProcess(values, data_dir / "stalled.log")
    fresh = WorkerProcess(values, data_dir / "fresh.log")
    stalled.launch()
    fresh.launch(held=True)
    try:
        pid = client.post("/api/projects", json={"name": "stall"}).json()["id"]
        with session_factory() as s:
            dataset = insert_synthetic_dataset(s, get_store(), pid, n=300, vocab_size=300, max_length=64)
        vid = client.post(f"/api/projects/{pid}/versions",
                          json={"dataset_id": dataset.id, "hyperparameters": SMALL_CNN}).json()["id"]
        assert client.put(f"/api/versions/{vid}/map-config", json=FAST_MAP).status_code == 200
        assert train_version(session_factory, vid, epochs=1).state == "SUCCESS"  # queues the map job
        with session_factory() as s:
            job_id = s.scalars(select(Job.id).where(Job.version_id == vid, Job.kind == "map")).one()

        stalled.wait_ready()
        # Frozen while it computes the map, between two progress reports (neighbours, then UMAP), so it
        # has more of them ahead; not inside a transaction, which would hold up the new worker too.
        wait_for_job(client, job_id, stalled, until=_computing, interval=0.02)
        _signal(stalled, signal.SIGSTOP)
        fresh.release()
        job = wait_for_job(client, job_id, fresh, timeout=120)
        assert job["state"] == "SUCCESS", (job, fresh.log())
        assert client.get(f"/api/versions/{vid}/maps/1").json()["status"] == "done"

        _signal(stalled, signal.SIGCONT)
        deadline = time.monotonic() + 60
        while LOST_JOB not in stalled.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert LOST_JOB in stalled.log(), stalled.log()
    finally:
        stalled.kill()
        fresh.kill()
    pmap = client.get(f"/api/versions/{vid}/maps/1").json()
    assert (pmap["status"], pmap["error"]) == ("done", None), pmap
    assert client.get(f"/api/versions/{vid}/maps/1/points").status_code == 200
    job = client.get(f"/api/jobs/{job_id}").json()
    assert (job["state"], job["error"]) == ("SUCCESS", None), job


def _computing(job: dict[str, Any]) -> bool:
    return job["state"] in ACTIVE and job["progress"] >= 0.4


def _signal(worker: WorkerProcess, sig: signal.Signals) -> None:
    assert worker.proc is not None
    os.killpg(worker.proc.pid, sig)
