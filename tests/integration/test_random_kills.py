"""Ten seeded runs: a worker is SIGKILLed (its whole process group, pool child included) at a random
point of a training, a population map or a batch analysis, and a fresh worker takes over.

Each run asserts that the job ends within a bound, either done or failed with a readable reason (and then
asking again through the API succeeds); that what the job writes per sample is there exactly once
(results per epoch and sample, batch metrics, map points, analyses); and that flags changed through the
API before the job, while it ran, while it was orphaned and while it resumed are all still there, with
their history.

Kill points are stratified so that the runs of one kind hit different phases: the first run of a kind
kills shortly after the job is queued (before or just after a worker claims it), the others once the
job's progress, extrapolated from its latest report, passes a random threshold in their own slice of
the job. Extrapolating matters: progress is reported at most once a second, so a bare threshold would
always kill right after a report (in training, at the start of an epoch's evaluation).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import (
    Analysis,
    BatchMetric,
    Checkpoint,
    EpochMetric,
    Job,
    MapCluster,
    PopulationMap,
    Sample,
    SampleResult,
)
from tests.conftest import reset_caches
from tests.support.datasets import insert_synthetic_dataset
from tests.support.flag_ledger import FlagLedger
from tests.support.polling import FINISHED, wait_for_job
from tests.support.versions import SMALL_CNN, train_version
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

N = 400  # 240 train samples
TRAIN_EPOCHS = 3
TRAIN_HP = {**SMALL_CNN, "batch_size": 8}  # 30 batches an epoch: long enough to be killed mid-epoch
TRAIN_BATCHES = 30
FAST_MAP = {"n_epochs": 100, "trust_sample": 300}
ANALYZED = 96  # a lasso selection: 6 batches of 16, each committed on its own
ANALYSIS = {"method": "integrated_gradients", "params": {"n_steps": 16, "internal_batch_size": 16}}
# Short leases so that recovery is quick (the new worker also spots the dead pid at once).
WORKER_ENV = {"LENSBOARD_JOB_LEASE_SECONDS": "4", "LENSBOARD_HEARTBEAT_SECONDS": "1",
              "LENSBOARD_TORCH_THREADS": "1"}
FINISH_WITHIN = 150.0  # seconds from the new worker's release to a finished job

KINDS = ("train", "map", "analysis")
RUNS = 10
POSTGRES_RUNS = {5, 6, 7}  # one of each kind in distributed mode (PostgreSQL + Redis)
ACTIVE = ("STARTED", "PROGRESS")


@dataclass(frozen=True)
class KillPoint:
    """`after_queued` seconds after the job is queued and a worker is up, or else once the running job's
    extrapolated progress reaches `progress`."""

    after_queued: float | None
    progress: float = 0.0

    def describe(self) -> str:
        if self.after_queued is not None:
            return f"{self.after_queued:.2f}s after queued"
        return f"progress ~{self.progress:.2f}"


def plan(run: int) -> tuple[str, KillPoint]:
    """The job kind and kill point of one run, from its seed (the run index)."""
    rng = random.Random(run)
    kind = KINDS[run % len(KINDS)]
    slot = run // len(KINDS)  # this run's place among the runs of its kind
    slots = len(range(run % len(KINDS), RUNS, len(KINDS)))
    if slot == 0:
        return kind, KillPoint(after_queued=rng.uniform(0.0, 1.5))
    # Up to 0.95: the last report of a training (its last epoch's evaluation) is at 0.95.
    low, high = (slot - 1) / (slots - 1), slot / (slots - 1)
    return kind, KillPoint(None, 0.95 * rng.uniform(low, high))


def _params() -> list[Any]:
    out = []
    for run in range(RUNS):
        kind, _ = plan(run)
        db = "postgres" if run in POSTGRES_RUNS else "sqlite"
        out.append(pytest.param(run, db, "redis_env" if db == "postgres" else "env", id=f"run{run}-{kind}-{db}"))
    return out


@dataclass
class Workers:
    first: WorkerProcess
    second: WorkerProcess  # launched held: it imports meanwhile, and starts as a worker after the kill
    launched: float


@pytest.fixture
def workers(request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workers]:
    values = {**request.getfixturevalue(request.node.callspec.params["env_fixture"]), **WORKER_ENV}
    # This process trains versions too, so it heartbeats on the workers' schedule: with the default 5 s
    # beat, a worker holding 4 s leases would take its job over.
    for key, value in WORKER_ENV.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    pair = Workers(WorkerProcess(values, data_dir / "worker-1.log"),
                   WorkerProcess(values, data_dir / "worker-2.log"), time.monotonic())
    pair.first.launch()  # its start-up overlaps the test's set-up
    pair.second.launch(held=True)
    yield pair
    # The second worker may be building maps that training queued: nothing to wait for.
    pair.first.kill()
    pair.second.kill()


@pytest.mark.parametrize(("run", "db_url", "env_fixture"), _params(), indirect=["db_url"])
def test_random_kill(run: int, env_fixture: str, workers: Workers, client: TestClient,
                     session_factory: sessionmaker[Session]) -> None:
    kind, point = plan(run)
    rng = random.Random(1000 + run)
    pid = client.post("/api/projects", json={"name": f"kill-{run}"}).json()["id"]
    with session_factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=N, seed=run, vocab_size=300, max_length=64)
        sample_ids = sorted(s.scalars(select(Sample.id).where(Sample.dataset_id == dataset.id)).all())
    hp = TRAIN_HP if kind == "train" else SMALL_CNN
    vid = client.post(f"/api/projects/{pid}/versions",
                      json={"dataset_id": dataset.id, "hyperparameters": hp, "seed": run}).json()["id"]
    assert client.put(f"/api/versions/{vid}/map-config", json=FAST_MAP).status_code == 200

    flags = FlagLedger(client, pid)
    picked = rng.sample(sample_ids, 10)
    flags.put(picked[0], "suspected", note="before")
    flags.put(picked[1], "confirmed", corrected_label=1)
    flags.patch(picked[1], note="checked twice")
    flags.bulk(picked[2:5], "suspected", note="lasso")
    flags.put(picked[5], "dismissed")

    if kind != "train":
        # The version the map or the analysis is about: one epoch, trained here by the real task body.
        # Training queues the epoch's map job, which is the job under test for "map".
        assert train_version(session_factory, vid, epochs=1).state == "SUCCESS"
        if kind == "analysis":
            _cancel_map_jobs(session_factory, vid)
    targets = sorted(rng.sample(sample_ids, ANALYZED)) if kind == "analysis" else sample_ids

    workers.first.wait_ready()
    ready = time.monotonic()
    job_id = _submit(client, kind, vid, targets, session_factory)

    def while_running() -> None:
        flags.put(picked[6], "suspected", note="during")
        flags.put(picked[2], "confirmed", note="lasso, then confirmed")
        flags.delete(picked[3])
        flags.bulk([picked[7], picked[4]], "dismissed")

    seen = _wait_for_kill_point(client, job_id, workers.first, point, while_running)
    workers.first.kill()
    killed = client.get(f"/api/jobs/{job_id}").json()
    flags.put(picked[8], "suspected", note="while orphaned")
    flags.undo(picked[1])

    released = time.monotonic()
    workers.second.release()
    flags.patch(picked[0], state="confirmed")
    job = wait_for_job(client, job_id, workers.second, timeout=FINISH_WITHIN)
    done = time.monotonic()
    if job["state"] == "FAILURE":
        error = job["error"] or ""
        assert error.strip() and not error.lstrip().startswith("Traceback"), job
        retried = _retry(client, kind, vid, targets)
        if retried is not None:
            assert wait_for_job(client, retried, workers.second, timeout=FINISH_WITHIN)["state"] == "SUCCESS"
    else:
        assert job["state"] == "SUCCESS", (job, workers.second.log())
    flags.put(picked[9], "confirmed", note="after")

    if kind == "train":
        _check_training(client, session_factory, vid, sample_ids)
    elif kind == "map":
        _check_map(client, session_factory, vid, sample_ids)
    else:
        _check_analyses(client, session_factory, vid, targets)
    flags.verify()
    print(f"\nrun {run} {kind} {env_fixture}: kill at {point.describe()}: last seen {seen['state']} "
          f"{seen['progress']:.2f} {seen['message']!r}, {killed['state']} after the kill; "
          f"{job['state']} after {job['attempts']} attempts; first worker up in {ready - workers.launched:.1f}s, "
          f"release to done {done - released:.1f}s")


def _cancel_map_jobs(factory: sessionmaker[Session], version_id: int) -> None:
    """The analysis runs alone on the worker: the map job training queued is cancelled (a worker skips a
    message whose job is no longer active)."""
    with factory() as s:
        for job in s.scalars(select(Job).where(Job.version_id == version_id, Job.kind == "map")):
            job.state, job.message = "REVOKED", "not needed by this test"
        s.commit()


def _submit(client: TestClient, kind: str, vid: int, sample_ids: list[int],
            factory: sessionmaker[Session]) -> int:
    if kind == "train":
        r = client.post(f"/api/versions/{vid}/train", json={"epochs": TRAIN_EPOCHS})
        assert r.status_code == 202, r.text
        return int(r.json()["id"])
    if kind == "map":
        with factory() as s:
            return int(s.scalars(select(Job.id).where(Job.version_id == vid, Job.kind == "map")).one())
    r = client.post(f"/api/versions/{vid}/analyses/batch", json={"sample_ids": sample_ids, **ANALYSIS})
    assert r.status_code == 202, r.text
    return int(r.json()["job"]["id"])


def _wait_for_kill_point(client: TestClient, job_id: int, worker: WorkerProcess, point: KillPoint,
                         while_running: Callable[[], None], timeout: float = 120.0) -> dict[str, Any]:
    """Return at the kill point with the job as last seen. `while_running()` is called once, as soon as
    the job is seen running (at once for a kill shortly after queueing)."""
    if point.after_queued is not None:
        at = time.monotonic() + point.after_queued
        while_running()
        time.sleep(max(0.0, at - time.monotonic()))
        return dict(client.get(f"/api/jobs/{job_id}").json())
    deadline = time.monotonic() + timeout
    started: float | None = None
    report = (0.0, 0.0)  # (seconds since started, progress) of the latest progress report seen
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        now = time.monotonic()
        if job["state"] in FINISHED:
            return job
        if job["state"] in ACTIVE:
            if started is None:
                started = now
                while_running()
            if job["progress"] != report[1]:
                report = (now - started, job["progress"])
            # The job's rate so far, carried on since its latest report.
            if report[0] > 0 and report[1] * (now - started) / report[0] >= point.progress:
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {point.describe()}: {job}\n{worker.log()}")


def _retry(client: TestClient, kind: str, vid: int, sample_ids: list[int]) -> int | None:
    """Ask again the way a user would; None when there is nothing left to do."""
    if kind == "train":
        r = client.post(f"/api/versions/{vid}/train", json={"epochs": TRAIN_EPOCHS})
        return int(r.json()["id"]) if r.status_code == 202 else None
    if kind == "map":
        r = client.post(f"/api/versions/{vid}/maps/1")
        assert r.status_code == 202, r.text
        return int(r.json()["id"])
    r = client.post(f"/api/versions/{vid}/analyses/batch", json={"sample_ids": sample_ids, **ANALYSIS})
    assert r.status_code in (200, 202), r.text
    return int(r.json()["job"]["id"]) if r.status_code == 202 else None


def _check_training(client: TestClient, factory: sessionmaker[Session], vid: int, sample_ids: list[int]) -> None:
    version = client.get(f"/api/versions/{vid}").json()
    assert (version["epochs_done"], version["status"]) == (TRAIN_EPOCHS, "trained"), version
    epochs = range(1, TRAIN_EPOCHS + 1)
    with factory() as s:
        per_pair = s.execute(
            select(SampleResult.epoch, SampleResult.sample_id, func.count())
            .where(SampleResult.version_id == vid).group_by(SampleResult.epoch, SampleResult.sample_id)
        ).all()
        batches = s.execute(select(BatchMetric.epoch, BatchMetric.batch, BatchMetric.step)
                            .where(BatchMetric.version_id == vid).order_by(BatchMetric.step)).all()
        checkpoints = s.scalars(select(Checkpoint.epoch).where(Checkpoint.version_id == vid)).all()
        evaluated = s.execute(select(EpochMetric.epoch, func.sum(EpochMetric.count))
                              .where(EpochMetric.version_id == vid).group_by(EpochMetric.epoch)).all()
        map_jobs = [j.params.get("epoch") for j in
                    s.scalars(select(Job).where(Job.version_id == vid, Job.kind == "map"))]
    assert all(count == 1 for _, _, count in per_pair)
    assert {(e, sid) for e, sid, _ in per_pair} == {(e, sid) for e in epochs for sid in sample_ids}
    assert [(e, b) for e, b, _ in batches] == [(e, b) for e in epochs for b in range(1, TRAIN_BATCHES + 1)]
    assert [st for _, _, st in batches] == list(range(1, TRAIN_EPOCHS * TRAIN_BATCHES + 1))
    assert sorted(checkpoints) == list(epochs)
    assert sorted(evaluated) == [(e, len(sample_ids)) for e in epochs]
    # One post-epoch map job per epoch, even for an epoch whose worker died right after committing it.
    assert sorted(map_jobs) == list(epochs)


def _check_map(client: TestClient, factory: sessionmaker[Session], vid: int, sample_ids: list[int]) -> None:
    with factory() as s:
        maps = s.scalars(select(PopulationMap).where(PopulationMap.version_id == vid)).all()
        assert [(m.epoch, m.status, m.num_points) for m in maps] == [(1, "done", len(sample_ids))]
        cluster_sizes = s.scalars(select(MapCluster.size).where(MapCluster.map_id == maps[0].id)).all()
    assert sum(cluster_sizes) == len(sample_ids)
    r = client.get(f"/api/versions/{vid}/maps/1/points")
    assert r.status_code == 200, r.text
    points = pa.ipc.open_stream(r.content).read_all().column("sample_id").to_pylist()
    assert sorted(points) == sample_ids  # every sample exactly once


def _check_analyses(client: TestClient, factory: sessionmaker[Session], vid: int, sample_ids: list[int]) -> None:
    with factory() as s:
        rows = s.execute(select(Analysis.sample_id, func.count(), func.min(Analysis.id))
                         .where(Analysis.version_id == vid).group_by(Analysis.sample_id)).all()
        stored = s.scalars(select(Analysis).where(Analysis.version_id == vid)).all()
    assert sorted(sid for sid, _, _ in rows) == sample_ids
    assert all(count == 1 for _, count, _ in rows)
    assert all(a.result.get("tokens") and a.method == ANALYSIS["method"] for a in stored)
    again = client.post(f"/api/versions/{vid}/analyses/batch", json={"sample_ids": sample_ids, **ANALYSIS})
    assert again.status_code == 200, again.text  # every one cached: nothing left to compute
    assert again.json()["cached"] == {str(sid): aid for sid, _, aid in rows}
