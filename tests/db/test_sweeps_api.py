"""Sweeps through the API (SQLite and PostgreSQL): creation, 4xx answers, results, cancellation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import EpochMetric, Job, ModelVersion, Sweep
from tests.support.datasets import insert_synthetic_dataset
from tests.support.versions import SMALL_CNN
from worker.job_runner import JobContext, JobGone

GRID = {"dropout": [0.1, 0.3], "learning_rate": [0.001, 0.01]}


def _project(client: TestClient, factory: sessionmaker[Session], name: str = "p") -> tuple[int, int]:
    pid = client.post("/api/projects", json={"name": name}).json()["id"]
    with factory() as s:
        dataset = insert_synthetic_dataset(s, get_store(), pid, n=40, vocab_size=100, max_length=32)
        return pid, dataset.id


def _count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_create_a_grid_sweep(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, dataset_id = _project(client, session_factory)
    body = {"hyperparameters": SMALL_CNN, "space": GRID, "epochs": 3, "seed": 4,
            "early_stopping": {"metric": "val_accuracy", "patience": 2}}
    r = client.post(f"/api/projects/{pid}/sweeps", json=body)
    assert r.status_code == 201, r.text
    sweep = r.json()
    assert (sweep["name"], sweep["strategy"], sweep["metric"], sweep["status"]) == (
        "sweep-1", "grid", "val_accuracy", "running")
    assert sweep["dataset_id"] == dataset_id and sweep["counts"] == {
        "total": 4, "queued": 4, "training": 0, "trained": 0, "failed": 0, "cancelled": 0, "pruned": 0}
    assert sweep["early_stopping"] == {"metric": "val_accuracy", "patience": 2, "min_delta": 0.0}
    assert sweep["best_version_id"] is None and sweep["sort"] == "val_accuracy"
    trials = sorted(sweep["trials"], key=lambda t: t["trial_index"])
    assert [t["params"] for t in trials] == [
        {"dropout": d, "learning_rate": lr} for d in (0.1, 0.3) for lr in (0.001, 0.01)]
    assert all(t["status"] == "queued" and t["epochs"] == 3 and t["test_accuracy"] is None for t in trials)

    # Every trial is an ordinary version, seeded with the sweep's seed, with its own pending train job.
    for t in trials:
        v = client.get(f"/api/versions/{t['version_id']}").json()
        assert (v["name"], v["seed"], v["status"]) == (f"sweep-1-t{t['trial_index']}", 4, "queued")
        assert v["hyperparameters"]["dropout"] == t["params"]["dropout"]
        assert v["hyperparameters"]["num_filters"] == SMALL_CNN["num_filters"]
        job = client.get(f"/api/jobs/{t['job_id']}").json()
        assert (job["kind"], job["state"], job["version_id"]) == ("train", "PENDING", t["version_id"])
        assert job["params"] == {"epochs": 3, "early_stopping": {"metric": "val_accuracy", "patience": 2,
                                                                 "min_delta": 0.0}}
        assert job["celery_task_id"]
    listed = client.get(f"/api/projects/{pid}/sweeps").json()
    assert [s["id"] for s in listed] == [sweep["id"]] and "trials" not in listed[0]
    assert len(client.get(f"/api/projects/{pid}/versions").json()) == 4

    # Random search: `budget` trials, epochs drawn from the space, no early stopping.
    r = client.post(f"/api/projects/{pid}/sweeps", json={
        "name": "lr", "strategy": "random", "budget": 3, "hyperparameters": SMALL_CNN, "metric": "val_loss",
        "space": {"learning_rate": {"min": 1e-4, "max": 1e-2, "log": True}, "epochs": [1, 2]}})
    assert r.status_code == 201, r.text
    random_sweep = r.json()
    assert random_sweep["early_stopping"] is None and len(random_sweep["trials"]) == 3
    for t in random_sweep["trials"]:
        job = client.get(f"/api/jobs/{t['job_id']}").json()
        assert job["params"] == {"epochs": t["params"]["epochs"]} and t["epochs"] == t["params"]["epochs"]


@pytest.mark.parametrize(("body", "message"), [
    ({"space": {"dropout": [0.1, 1.5]}}, "trial 1 (dropout=1.5): hyperparameters.dropout"),
    ({"space": {"dropout": [0.1, 0.2, 0.3]}, "budget": 2}, "the grid has 3 trials, more than the budget of 2"),
    ({"space": {"learning_rate": {"min": 1e-4, "max": 1e-2}}}, "a grid needs a list of values"),
    ({"space": {"dropout": [0.1]}, "strategy": "random"}, "random search needs a budget"),
    ({"space": {"dropout": [0.1]}, "strategy": "bayes"}, "Bayesian search needs a budget"),
    ({"space": {"dropout": [0.1]}, "strategy": "hyperband"}, "strategy"),
    ({"space": {"dropout": [0.1]}, "parallel": 2}, "parallel: only a Bayesian sweep"),
    ({"space": {"dropout": [0.1]}, "strategy": "random", "budget": 2, "startup_trials": 1},
     "startup_trials: only a Bayesian sweep"),
    ({"space": {"dropout": {"min": 0.1, "max": 5.0}}, "strategy": "bayes", "budget": 2}, "dropout"),
    ({"space": {"dropout": [0.1]}, "pruning": {"min_trials": 0}}, "pruning.min_trials"),
    ({"space": {}}, "name at least one hyperparameter"),
    ({"space": {"dropout": [0.1]}, "architecture": "transformer"}, "unknown architecture"),
    ({"space": {"dropout": [0.1]}, "metric": "f1"}, "metric"),
    ({"space": {"dropout": [0.1]}, "early_stopping": {"patience": 0}}, "early_stopping.patience"),
    ({"space": {"dropout": [0.1]}, "budget": 1000}, "budget"),
    ({"space": {"pretrained_vectors": ["/etc/hostname"]}, "architecture": "lstm"},
     "trial 0 (pretrained_vectors='/etc/hostname'): hyperparameters.pretrained_vectors: path '/etc/hostname' lies "
     "outside the allowed import roots"),
    ({}, "space"),
])
def test_invalid_sweeps_are_refused_whole(client: TestClient, session_factory: sessionmaker[Session],
                                          body: dict[str, Any], message: str) -> None:
    pid, _ = _project(client, session_factory)
    r = client.post(f"/api/projects/{pid}/sweeps", json=body)
    assert r.status_code == 422 and message in r.json()["detail"], r.text
    # Nothing half-written.
    assert (_count(session_factory, Sweep), _count(session_factory, ModelVersion), _count(session_factory, Job)) \
        == (0, 0, 0)


def test_missing_things(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    body = {"space": {"dropout": [0.1]}}
    assert client.post("/api/projects/999/sweeps", json=body).status_code == 404
    assert client.get("/api/projects/999/sweeps").status_code == 404
    pid = client.post("/api/projects", json={"name": "empty"}).json()["id"]
    r = client.post(f"/api/projects/{pid}/sweeps", json=body)
    assert r.status_code == 409 and "no imported dataset" in r.json()["detail"]
    pid, _ = _project(client, session_factory, "with-data")
    r = client.post(f"/api/projects/{pid}/sweeps", json={**body, "dataset_id": 999})
    assert r.status_code == 404 and r.json()["detail"] == "dataset 999 not found"
    for r in (client.get("/api/sweeps/999"), client.post("/api/sweeps/999/cancel")):
        assert r.status_code == 404 and r.json()["detail"] == "sweep 999 not found"
    sid = client.post(f"/api/projects/{pid}/sweeps", json=body).json()["id"]
    r = client.get(f"/api/sweeps/{sid}", params={"sort": "nonsense"})
    assert r.status_code == 422 and "sort" in r.json()["detail"]
    assert _count(session_factory, Sweep) == 1


def _finish(factory: sessionmaker[Session], version_id: int, val: list[tuple[float, float]],
            test: list[tuple[float, float]], status: str = "trained") -> None:
    """Epoch metrics (loss, accuracy) per epoch, as training leaves them, and the job's outcome."""
    with factory() as s:
        for split, rows in (("val", val), ("test", test)):
            for epoch, (loss, acc) in enumerate(rows, start=1):
                s.add(EpochMetric(version_id=version_id, epoch=epoch, split=split, loss=loss, accuracy=acc, count=10))
        version = s.get(ModelVersion, version_id)
        assert version is not None
        version.status, version.epochs_done = status, len(val)
        job = s.scalars(select(Job).where(Job.version_id == version_id)).one()
        job.state = "SUCCESS" if status == "trained" else "FAILURE"
        s.commit()


def test_results_sorting_and_best(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, _ = _project(client, session_factory)
    sweep = client.post(f"/api/projects/{pid}/sweeps", json={"space": GRID, "epochs": 2}).json()
    v = {t["trial_index"]: t["version_id"] for t in sweep["trials"]}
    _finish(session_factory, v[0], val=[(0.6, 0.7), (0.5, 0.8)], test=[(0.65, 0.68), (0.55, 0.78)])
    _finish(session_factory, v[1], val=[(0.4, 0.85), (0.45, 0.84)], test=[(0.42, 0.83), (0.5, 0.81)])
    _finish(session_factory, v[2], val=[(0.7, 0.6)], test=[(0.7, 0.62)])  # still training: one epoch in
    with session_factory() as s:
        running = s.get(ModelVersion, v[2])
        assert running is not None
        running.status = "training"
        s.commit()

    detail = client.get(f"/api/sweeps/{sweep['id']}").json()
    assert detail["status"] == "running"
    assert detail["counts"] == {"total": 4, "queued": 1, "training": 1, "trained": 2, "failed": 0, "cancelled": 0,
                                "pruned": 0}
    # Default sort: val accuracy at the epoch val picks, best first, trials without one last. Every split is
    # read at that epoch: trial 1's test is its epoch-1 figure (0.83), never its best test over epochs.
    assert [t["trial_index"] for t in detail["trials"]] == [1, 0, 2, 3]
    assert (detail["best_version_id"], detail["best_value"]) == (v[1], pytest.approx(0.85))
    t1 = detail["trials"][0]
    assert (t1["selected_epoch"], t1["selected_by"]) == (1, "val_accuracy")
    assert (t1["val_loss"], t1["val_accuracy"], t1["best_val_loss"], t1["best_val_accuracy"]) == (
        pytest.approx(0.4), pytest.approx(0.85), pytest.approx(0.4), pytest.approx(0.85))
    assert (t1["test_accuracy"], t1["test_loss"]) == (pytest.approx(0.83), pytest.approx(0.42))
    assert "best_test_accuracy" not in t1
    assert (t1["epochs_done"], t1["epochs"], t1["stopped_early"]) == (2, 2, False)
    by_loss = client.get(f"/api/sweeps/{sweep['id']}", params={"sort": "val_loss"}).json()
    assert by_loss["sort"] == "val_loss" and [t["trial_index"] for t in by_loss["trials"]] == [1, 0, 2, 3]
    by_test = client.get(f"/api/sweeps/{sweep['id']}", params={"sort": "test_accuracy"}).json()
    assert [t["trial_index"] for t in by_test["trials"]] == [1, 0, 2, 3]
    # Choosing on test is refused: it is no ranking metric and no longer a sort over epochs.
    assert client.get(f"/api/sweeps/{sweep['id']}", params={"sort": "best_test_accuracy"}).status_code == 422
    assert client.post(f"/api/projects/{pid}/sweeps",
                       json={"space": GRID, "metric": "test_accuracy"}).status_code == 422
    by_index = client.get(f"/api/sweeps/{sweep['id']}", params={"sort": "trial"}).json()
    assert [t["trial_index"] for t in by_index["trials"]] == [0, 1, 2, 3]

    _finish(session_factory, v[3], val=[], test=[], status="failed")
    with session_factory() as s:
        running = s.get(ModelVersion, v[2])
        assert running is not None
        running.status = "trained"
        s.commit()
    done = client.get(f"/api/projects/{pid}/sweeps").json()[0]
    assert done["status"] == "done" and done["counts"]["failed"] == 1 and done["counts"]["trained"] == 3


def test_cancel_stops_unfinished_trials_and_keeps_finished_ones(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, _ = _project(client, session_factory)
    sweep = client.post(f"/api/projects/{pid}/sweeps", json={"space": GRID, "epochs": 2}).json()
    trials = {t["trial_index"]: t for t in sweep["trials"]}
    _finish(session_factory, trials[0]["version_id"], val=[(0.5, 0.8)], test=[(0.5, 0.79)])
    # Trial 1 is running: a worker holds its job's lease.
    running = JobContext(trials[1]["job_id"], session_factory)
    assert running.claim()
    running.progress(0.1, "epoch 1/2, batch 1/5")

    r = client.post(f"/api/sweeps/{sweep['id']}/cancel")
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["counts"] == {"total": 4, "queued": 0, "training": 0, "trained": 1, "failed": 0,
                                   "cancelled": 3, "pruned": 0}
    states = {t["trial_index"]: (t["status"], client.get(f"/api/jobs/{t['job_id']}").json()["state"])
              for t in cancelled["trials"]}
    assert states == {0: ("trained", "SUCCESS"), 1: ("cancelled", "REVOKED"), 2: ("cancelled", "REVOKED"),
                      3: ("cancelled", "REVOKED")}
    assert cancelled["best_version_id"] == trials[0]["version_id"]
    # The running trial stops at its next progress report; a pending one is never claimed by a worker.
    with pytest.raises(JobGone):
        running.progress(0.2, "epoch 1/2, batch 2/5")
    assert not JobContext(trials[2]["job_id"], session_factory).claim()
    # Cancelling again changes nothing.
    again = client.post(f"/api/sweeps/{sweep['id']}/cancel").json()
    assert again["counts"] == cancelled["counts"] and again["status"] == "cancelled"
    assert client.get(f"/api/versions/{trials[0]['version_id']}").json()["status"] == "trained"


def test_deleting_the_project_deletes_its_sweeps(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid, _ = _project(client, session_factory)
    sid = client.post(f"/api/projects/{pid}/sweeps", json={"space": GRID}).json()["id"]
    assert client.delete(f"/api/projects/{pid}").status_code == 204
    assert client.get(f"/api/sweeps/{sid}").status_code == 404
    assert (_count(session_factory, Sweep), _count(session_factory, ModelVersion)) == (0, 0)
