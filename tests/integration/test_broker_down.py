"""Redis goes down under the API and comes back empty (no persistence), as a restarted Redis does.

The test runs its own redis-server on a free port and kills it: the machine's Redis, which other tests
share, is never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.store import LocalArtifactStore
from backend.core.settings import get_settings
from tests.conftest import reset_caches
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.imdb_fake import small_reviews, write_layout
from tests.support.polling import wait_for_job
from tests.support.services import port_open, unavailable
from tests.support.versions import insert_version
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration


class RedisServer:
    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _until(lambda: port_open("127.0.0.1", self.port), "redis-server to listen")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_server(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server (the Debian package redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    reset_caches()
    yield server
    server.kill()
    reset_caches()


# One database is enough: the broker path does not depend on it (tests/db/test_health_api.py runs both).
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_redis_down_then_restarted_empty(client: TestClient, env: dict[str, str], data_dir: Path,
                                         tmp_path: Path, redis_server: RedisServer) -> None:
    root = write_layout(tmp_path, small_reviews())
    pid = client.post("/api/projects", json={"name": "broker"}).json()["id"]

    def start_import(name: str) -> httpx.Response:
        return client.post(f"/api/projects/{pid}/datasets/imdb",  # type: ignore[return-value]
                           json={"path": str(root), "name": name, "val_size": 2, "tokenizer": {"vocab_size": 100}})

    queued = start_import("before")
    assert queued.status_code == 202, queued.text

    redis_server.kill()
    health = _until(lambda: (h := client.get("/api/health").json())["broker"] != "ok" and h, "/health: broker down")
    assert health["status"] == "ok" and health["broker"].startswith("down: ")
    ready = client.get("/api/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("down: ")
    assert ready.json()["checks"]["database"] == "ok"

    started = time.monotonic()
    refused = start_import("during")
    assert time.monotonic() - started < 15, "publishing to a dead broker must not hang"
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert refused.json()["detail"].startswith("the broker is unavailable: ")
    # Nothing is left waiting for a message that was never sent: the job failed, its dataset too.
    jobs = {j["id"]: j for j in client.get("/api/jobs").json()}
    failed = [j for j in jobs.values() if j["state"] == "FAILURE"]
    assert len(failed) == 1 and "could not be queued: the broker is unavailable" in failed[0]["error"]
    datasets = {d["name"]: d["status"] for d in client.get(f"/api/projects/{pid}/datasets").json()}
    assert datasets == {"before": "importing", "during": "failed"}

    # Back, but empty: the message of "before" is lost with the old process's memory.
    redis_server.start()
    _until(lambda: client.get("/api/health").json()["broker"] == "ok", "/health: broker back")
    retried = start_import("retry")
    assert retried.status_code == 202, retried.text
    assert client.get("/api/ready").json()["checks"] == {"database": "ok", "broker": "ok",
                                                          "worker": "down: no worker has started"}

    # A short lease, so the worker resends the lost message at start-up instead of a minute later.
    worker = WorkerProcess({**env, "CELERY_BROKER_URL": redis_server.url, "LENSBOARD_JOB_LEASE_SECONDS": "3",
                            "LENSBOARD_HEARTBEAT_SECONDS": "1"},
                           data_dir / f"worker-{uuid.uuid4().hex[:6]}.log")
    worker.start()
    try:
        for job in (queued.json(), retried.json()):
            assert wait_for_job(client, job["id"], worker, timeout=120)["state"] == "SUCCESS"
        _until(lambda: client.get("/api/ready").status_code == 200, "/ready with a worker")
    finally:
        worker.stop()
    assert "queued again" in worker.log() or "re-enqueued orphaned jobs" in worker.log()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_training_carries_on_across_a_redis_restart(client: TestClient, session_factory: sessionmaker[Session],
                                                    env: dict[str, str], data_dir: Path,
                                                    redis_server: RedisServer) -> None:
    with session_factory() as s:
        project = create_project(s, "restart")
        dataset = insert_synthetic_dataset(s, LocalArtifactStore(get_settings().artifacts), project.id, n=400)
        vid = insert_version(s, project.id, dataset.id).id
    worker = WorkerProcess({**env, "CELERY_BROKER_URL": redis_server.url},
                           data_dir / f"worker-{uuid.uuid4().hex[:6]}.log")
    worker.start()
    try:
        r = client.post(f"/api/versions/{vid}/train", json={"epochs": 8})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        wait_for_job(client, job_id, worker, timeout=120, until=lambda j: j["state"] == "PROGRESS")
        redis_server.kill()
        time.sleep(2)
        during = client.get(f"/api/jobs/{job_id}").json()
        assert during["state"] == "PROGRESS", "the job finished before Redis went down: make it longer"
        redis_server.start()
        job = wait_for_job(client, job_id, worker, timeout=240)
        assert job["state"] == "SUCCESS", job
        assert client.get(f"/api/versions/{vid}").json()["epochs_done"] == 8
        _until(lambda: client.get("/api/ready").status_code == 200, "/ready after the restart")
    finally:
        worker.stop()
