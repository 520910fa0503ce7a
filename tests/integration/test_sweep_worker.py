"""A sweep trained by a real worker process on the embedded broker: trials train and their results show
up; cancelling stops the running and pending trials and keeps the finished one."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from tests.support.datasets import insert_synthetic_dataset
from tests.support.polling import wait_for_job
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration


def _sweep(client: TestClient, sweep_id: int) -> dict[str, Any]:
    r = client.get(f"/api/sweeps/{sweep_id}", params={"sort": "trial"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _wait_sweep(client: TestClient, sweep_id: int, status: str, worker: WorkerProcess,
                timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    sweep = _sweep(client, sweep_id)
    while sweep["status"] != status and time.monotonic() < deadline:
        time.sleep(0.2)
        sweep = _sweep(client, sweep_id)
    assert sweep["status"] == status, f"{sweep}\nworker log:\n{worker.log()}"
    return sweep


# One database is enough here: the API's and the task's database code runs on both in tests/db.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sweep_trains_its_trials_and_cancel_keeps_the_finished_ones(
        client: TestClient, session_factory: sessionmaker[Session], embedded_worker: WorkerProcess) -> None:
    pid = client.post("/api/projects", json={"name": "sweep"}).json()["id"]
    with session_factory() as s:
        insert_synthetic_dataset(s, get_store(), pid, n=120, vocab_size=300, max_length=64)

    # Two trials of one epoch each: both train on the one worker and their metrics show up.
    r = client.post(f"/api/projects/{pid}/sweeps", json={
        "hyperparameters": SMALL_CNN, "space": {"dropout": [0.0, 0.3]}, "epochs": 1})
    assert r.status_code == 201, r.text
    first = r.json()
    # Then three trials, one at a time: a short one, a long one, and one still queued when this sweep is
    # cancelled. Created now, so that they queue before the first trials' map jobs.
    r = client.post(f"/api/projects/{pid}/sweeps", json={
        "name": "to-cancel", "hyperparameters": SMALL_CNN, "space": {"epochs": [1, 200, 1]}})
    assert r.status_code == 201, r.text
    second = r.json()
    done = _wait_sweep(client, first["id"], "done", embedded_worker)
    assert done["counts"]["trained"] == 2
    for trial in done["trials"]:
        assert (trial["status"], trial["epochs_done"]) == ("trained", 1)
        assert 0.0 <= trial["test_accuracy"] <= 1.0 and trial["val_loss"] > 0
    best = max(done["trials"], key=lambda t: (t["val_accuracy"], -t["trial_index"]))
    assert done["best_version_id"] == best["version_id"]
    # A trial is an ordinary version: its epochs and samples are served like any other's.
    vid = done["trials"][0]["version_id"]
    assert client.get(f"/api/versions/{vid}").json()["status"] == "trained"
    assert {m["split"] for m in client.get(f"/api/versions/{vid}/metrics/epochs").json()["items"]} == {
        "train", "val", "test"}
    assert client.get(f"/api/versions/{vid}/samples", params={"limit": 3}).json()["total"] == 120

    trials = second["trials"]
    wait_for_job(client, trials[0]["job_id"], embedded_worker)
    cancelled = client.post(f"/api/sweeps/{second['id']}/cancel").json()
    assert cancelled["counts"]["trained"] == 1 and cancelled["counts"]["cancelled"] == 2
    swept = _wait_sweep(client, cancelled["id"], "cancelled", embedded_worker)
    kept, stopped, never = swept["trials"]
    assert (kept["status"], kept["epochs_done"]) == ("trained", 1)
    assert stopped["status"] == "cancelled" and stopped["epochs_done"] < 200
    assert never["status"] == "cancelled" and never["epochs_done"] == 0
    # The worker passes over the revoked job when its message arrives, without starting it.
    deadline = time.monotonic() + 120
    skipped = f"job {never['job_id']} is held by another worker or already finished; skipping"
    while skipped not in embedded_worker.log() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert skipped in embedded_worker.log(), embedded_worker.log()
    job = client.get(f"/api/jobs/{never['job_id']}").json()
    assert (job["state"], job["attempts"], job["started_at"]) == ("REVOKED", 0, None)
    assert client.get(f"/api/jobs/{stopped['job_id']}").json()["state"] == "REVOKED"
