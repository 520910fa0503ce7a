"""Lanes with real workers: quick work never waits behind long work, and a job that waits is not lost.

- With a worker per lane (as `lensboard serve` runs them), an analysis asked for while a long training runs
  finishes while that training still runs, and so does the map of its first epoch.
- With one worker busy training, a job queued behind it waits for several leases without being sent again
  or called lost; its status says where it waits; cancelling it takes it out of the queue, and cancelling
  the running training stops it within a batch.

On the embedded broker and on Redis. The message truly lost to a Redis restart is covered by
tests/integration/test_broker_down.py and tests/integration/test_lost_message.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.cli.local import interactive_env
from backend.core.artifacts import get_store
from backend.core.jobs import broker_queues
from backend.core.jobs.lanes import Lane
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

# Epochs of a few seconds each on this synthetic set, and far more of them than any test waits for: the
# training is "long" until the test cancels it.
LONG_HP = {**SMALL_CNN, "embedding_dim": 32, "num_filters": 32}
LONG_EPOCHS = 500
# Short leases, so that "three leases" is seconds: recovery checks every half lease.
LEASE = {"LENSBOARD_JOB_LEASE_SECONDS": "4", "LENSBOARD_HEARTBEAT_SECONDS": "0.5"}
ACTIVE = ("PENDING", "STARTED", "PROGRESS")


@pytest.fixture(params=["embedded", "redis"])
def broker_env(request: pytest.FixtureRequest, env: dict[str, str]) -> dict[str, str]:
    """The test's settings on the embedded broker or on Redis (this process's and the workers' alike)."""
    values = env if request.param == "embedded" else request.getfixturevalue("redis_env")
    return {**values, **LEASE}


@pytest.fixture
def lease_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import reset_caches

    for k, v in LEASE.items():
        monkeypatch.setenv(k, v)
    reset_caches()


@contextmanager
def _workers(env: dict[str, str], data_dir: Path, lanes: list[str]) -> Iterator[list[WorkerProcess]]:
    workers = []
    for lane in lanes:
        # The interactive worker computes with one thread per process, as `lensboard serve` starts it.
        values = {**env, **{k: v for k, v in interactive_env().items() if k.endswith("_THREADS")}} \
            if lane == "interactive" else env
        w = WorkerProcess(values, data_dir / f"worker-{lane}-{uuid.uuid4().hex[:6]}.log", lane=lane)
        w.launch()
        workers.append(w)
    try:
        for w in workers:
            w.wait_ready(120)
        yield workers
    finally:
        for w in workers:
            w.stop()


def _long_training(client: TestClient, session_factory: sessionmaker[Session], n: int = 1500) -> tuple[int, int]:
    """(version id, train job id) of a training far longer than the test."""
    pid = client.post("/api/projects", json={"name": f"lanes-{uuid.uuid4().hex[:6]}"}).json()["id"]
    with session_factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=n, vocab_size=300, max_length=64)
        dataset_id = dataset.id
    r = client.post(f"/api/projects/{pid}/versions", json={"dataset_id": dataset_id, "hyperparameters": LONG_HP})
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    r = client.post(f"/api/versions/{vid}/train", json={"epochs": LONG_EPOCHS})
    assert r.status_code == 202, r.text
    return vid, r.json()["id"]


def _job(client: TestClient, job_id: int) -> dict[str, Any]:
    r = client.get(f"/api/jobs/{job_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _until(check: Callable[[], bool], what: str, workers: list[WorkerProcess], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout}s\n" + "\n".join(w.log() for w in workers))
        time.sleep(0.3)


def _cancel_running_training(client: TestClient, vid: int, train_id: int, workers: list[WorkerProcess]) -> None:
    """Cancel stops the training within a batch: no progress after it, finished epochs kept."""
    r = client.post(f"/api/jobs/{train_id}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "REVOKED"
    again = client.post(f"/api/jobs/{train_id}/cancel")
    assert again.status_code == 409 and "already finished" in again.json()["detail"]
    _until(lambda: any(f"job {train_id} was cancelled" in w.log() for w in workers), "the training to stop",
           workers, timeout=60)
    version = client.get(f"/api/versions/{vid}").json()
    assert version["status"] == "cancelled" and 1 <= version["epochs_done"] < LONG_EPOCHS
    assert _job(client, train_id)["state"] == "REVOKED"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_analysis_and_the_first_map_finish_while_a_long_training_runs(
        client: TestClient, session_factory: sessionmaker[Session], broker_env: dict[str, str], data_dir: Path,
        lease_settings: None) -> None:
    with _workers(broker_env, data_dir, ["bulk", "interactive"]) as workers:
        vid, train_id = _long_training(client, session_factory)
        _until(lambda: client.get(f"/api/versions/{vid}").json()["epochs_done"] >= 1, "epoch 1", workers)
        # The map of epoch 1 was queued on the interactive lane as epoch 1 was committed.
        maps = [j for j in client.get("/api/jobs", params={"version_id": vid, "kind": "map"}).json()
                if j["params"].get("epoch") == 1]
        assert len(maps) == 1 and maps[0]["lane"] == "interactive" and maps[0]["title"] == "Population map: epoch 1"
        sample_id = client.get(f"/api/versions/{vid}/samples", params={"limit": 1}).json()["items"][0]["id"]
        r = client.post(f"/api/versions/{vid}/analyses", json={"sample_id": sample_id, "epoch": 1})
        assert r.status_code == 202, r.text
        analysis = r.json()["job"]
        assert analysis["lane"] == "interactive"
        done = wait_for_job(client, analysis["id"], workers[1], timeout=240)
        assert done["state"] == "SUCCESS", done
        assert _job(client, train_id)["state"] in ACTIVE, "the analysis waited for the training to end"
        built = wait_for_job(client, maps[0]["id"], workers[1], timeout=240)
        assert built["state"] == "SUCCESS", built
        assert _job(client, train_id)["state"] in ACTIVE, "the map waited for the training to end"
        assert client.get(f"/api/versions/{vid}/maps/1").status_code == 200
        _cancel_running_training(client, vid, train_id, workers)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_job_waiting_behind_a_busy_worker_is_never_resent_nor_lost(
        client: TestClient, session_factory: sessionmaker[Session], broker_env: dict[str, str], data_dir: Path,
        lease_settings: None) -> None:
    with _workers(broker_env, data_dir, ["all"]) as workers:
        vid, train_id = _long_training(client, session_factory, n=600)
        _until(lambda: _job(client, train_id)["state"] in ("STARTED", "PROGRESS"), "the training to start",
               workers)
        other, queued_id = _long_training(client, session_factory, n=200)
        queued = _job(client, queued_id)
        assert (queued["lane"], queued["position"]) == ("bulk", 1)
        assert queued["message"] == "waiting: 1st in the bulk lane"
        # Three leases and more: recovery looks at it at least five times.
        time.sleep(3 * 4 + 3)
        queued = _job(client, queued_id)
        assert queued["state"] == "PENDING" and queued["position"] == 1, queued
        assert "lost" not in queued["message"] and queued["message"].startswith("waiting"), queued
        log = workers[0].log()
        assert "queued again" not in log and "re-enqueued orphaned jobs" not in log, log
        # One message for it in its lane: never a copy.
        assert [m.task_id for m in broker_queues.waiting(Lane.BULK)] == [queued["celery_task_id"]]

        # Cancel the queued job: out of its lane, never started; then the running training.
        r = client.post(f"/api/jobs/{queued_id}/cancel")
        assert r.status_code == 200 and r.json()["state"] == "REVOKED", r.text
        assert broker_queues.waiting(Lane.BULK) == []
        assert client.get(f"/api/versions/{other}").json()["status"] == "cancelled"
        _cancel_running_training(client, vid, train_id, workers)
        job = _job(client, queued_id)
        assert (job["state"], job["attempts"], job["started_at"]) == ("REVOKED", 0, None)
