"""A real Celery worker process runs analyses queued through the API (embedded broker and Redis)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from tests.support.versions import TrainedVersion, imdb_trained_version
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def prepared(session_factory: sessionmaker[Session], imdb_subset: Path) -> TrainedVersion:
    return imdb_trained_version(session_factory, get_store(), imdb_subset, per_class=3)


def _wait(client: TestClient, job_id: int, worker: WorkerProcess, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("SUCCESS", "FAILURE"):
            assert job["state"] == "SUCCESS", (job["error"], worker.log())
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not finished after {timeout}s:\n{worker.log()}")


def _analyze_then_hit_cache(client: TestClient, prepared: TrainedVersion, worker: WorkerProcess) -> None:
    url = f"/api/versions/{prepared.version_id}/analyses"
    body = {"sample_id": prepared.sample_ids[0]}  # Integrated Gradients, default parameters
    queued = client.post(url, json=body)
    assert queued.status_code == 202, queued.text
    job = _wait(client, queued.json()["job"]["id"], worker)
    analysis_id = job["result"]["analysis_ids"][str(body["sample_id"])]
    cached = client.post(url, json=body)
    assert cached.status_code == 200 and cached.json()["cached"] and cached.json()["id"] == analysis_id
    out = cached.json()
    assert out["n_steps"] >= 50 and out["convergence_delta"] is not None
    assert all(len(t["attribution"]) == 2 for t in out["tokens"] if not t["beyond_max_length"])


def test_worker_runs_analyses_from_the_api(client: TestClient, prepared: TrainedVersion,
                                           embedded_worker: WorkerProcess) -> None:
    _analyze_then_hit_cache(client, prepared, embedded_worker)
    url = f"/api/versions/{prepared.version_id}/analyses"
    # A lasso selection: one job, in batches, every sample stored.
    batch = client.post(url + "/batch", json={"sample_ids": prepared.sample_ids, "method": "occlusion"})
    assert batch.status_code == 202
    job = _wait(client, batch.json()["job"]["id"], embedded_worker)
    assert sorted(map(int, job["result"]["analysis_ids"])) == sorted(prepared.sample_ids)
    # What-if on the stored sample's text: same result, nothing stored.
    what_if = client.post(url, json={"text": prepared.texts[4], "method": "occlusion"})
    assert what_if.status_code == 202
    inline = _wait(client, what_if.json()["job"]["id"], embedded_worker)["result"]["text"]["analysis"]
    stored = client.get(f"/api/analyses/{job['result']['analysis_ids'][str(prepared.sample_ids[4])]}").json()
    assert inline["tokens"] == stored["tokens"] and inline["probabilities"] == stored["probabilities"]
    assert inline["id"] is None
    # A counterfactual edit (replace every word by "great") through the same path.
    cf = client.post(url, json={"text": "The plot was dull.", "method": "counterfactual",
                                "params": {"replace_with": "great"}})
    res = _wait(client, cf.json()["job"]["id"], embedded_worker)["result"]["text"]["analysis"]
    assert [len(t["counterfactual_probabilities"]) for t in res["tokens"]] == [2, 2, 2, 2, 2]


def test_worker_on_redis(client: TestClient, prepared: TrainedVersion, redis_worker: WorkerProcess) -> None:
    _analyze_then_hit_cache(client, prepared, redis_worker)
