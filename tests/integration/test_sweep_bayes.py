"""A Bayesian sweep trained by a real worker process: each trial is asked from TPE only after the earlier
ones reported, its values come from the space, a clearly bad trial is pruned at the epoch the median rule
stops it, and the sweep picks its best trial on validation."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.sweeps.bayes import Finished, propose
from backend.core.sweeps.space import dimensions
from tests.support.datasets import insert_synthetic_dataset
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

GOOD_LR, BAD_LR = 0.5, 1e-6
# The learning rate decides: a rate of 1e-6 leaves the model at chance. The second dimension, the
# evaluation batch size, changes no result, so that the good trials tie and only the bad rate differs,
# while TPE still proposes a number from a (log) range for it.
SPACE: dict[str, Any] = {"learning_rate": [GOOD_LR, BAD_LR], "eval_batch_size": {"min": 16, "max": 256, "log": True}}
BASE = {"embedding_dim": 16, "bigram_buckets": 1000, "batch_size": 16}
BUDGET, STARTUP, EPOCHS = 4, 2, 3


def _seed_good_then_bad() -> int:
    """A seed whose two random start-up trials are a good rate, then the bad one (the start-up draws
    depend on the seed and the trial index only), so that the bad trial meets a completed one."""
    dims = dimensions("ngram", SPACE)
    for seed in range(100):
        first = propose(dims, [], seed=seed, index=0, startup=STARTUP, maximize=True)
        told = [Finished(params=first, state="complete", value=1.0, per_epoch={1: 1.0})]
        second = propose(dims, told, seed=seed, index=1, startup=STARTUP, maximize=True)
        if (first["learning_rate"], second["learning_rate"]) == (GOOD_LR, BAD_LR):
            return seed
    raise AssertionError("no seed in 0..99 draws a good trial, then the bad one")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.fixture
def bulk_worker(env: dict[str, str], data_dir: Path) -> Any:
    """One worker on the training lane only: the trials' map jobs wait, which keeps this test short."""
    w = WorkerProcess(env, data_dir / "worker-bulk.log", lane="bulk")
    w.start()
    yield w
    w.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bayes_sweep_asks_each_trial_after_the_last_and_prunes_the_bad_one(
        client: TestClient, session_factory: sessionmaker[Session], bulk_worker: WorkerProcess) -> None:
    pid = client.post("/api/projects", json={"name": "bayes"}).json()["id"]
    with session_factory() as s:
        insert_synthetic_dataset(s, get_store(), pid, n=160, vocab_size=300, max_length=64)
    seed = _seed_good_then_bad()
    r = client.post(f"/api/projects/{pid}/sweeps", json={
        "architecture": "ngram", "hyperparameters": BASE, "space": SPACE, "strategy": "bayes",
        "budget": BUDGET, "startup_trials": STARTUP, "seed": seed, "epochs": EPOCHS,
        "pruning": {"warmup_epochs": 0, "min_trials": 1}})
    assert r.status_code == 201, r.text
    created = r.json()
    # One trial to begin with: the next is asked when it finishes.
    assert (created["strategy"], created["parallel"], created["startup_trials"]) == ("bayes", 1, STARTUP)
    assert created["status"] == "running" and len(created["trials"]) == 1
    assert created["trials"][0]["proposed_by"] == "random"

    deadline = time.monotonic() + 600
    sweep = created
    while time.monotonic() < deadline:
        sweep = client.get(f"/api/sweeps/{created['id']}", params={"sort": "trial"}).json()
        if sweep["status"] != "running":
            break
        time.sleep(0.5)
    assert sweep["status"] == "done", f"{sweep}\nworker log:\n{bulk_worker.log()}"
    trials = sweep["trials"]
    assert [t["trial_index"] for t in trials] == list(range(BUDGET))
    assert [t["proposed_by"] for t in trials] == ["random"] * STARTUP + ["tpe"] * (BUDGET - STARTUP)

    # Every proposal lies in the space.
    for t in trials:
        assert t["params"]["learning_rate"] in (GOOD_LR, BAD_LR)
        assert isinstance(t["params"]["eval_batch_size"], int) and 16 <= t["params"]["eval_batch_size"] <= 256
        version = client.get(f"/api/versions/{t['version_id']}").json()
        assert version["hyperparameters"]["learning_rate"] == t["params"]["learning_rate"]

    # Sequential: each trial was created after the previous one's train job had finished.
    for before, after in itertools.pairwise(trials):
        finished = client.get(f"/api/jobs/{before['job_id']}").json()["finished_at"]
        created_at = client.get(f"/api/versions/{after['version_id']}").json()["created_at"]
        assert _parse(created_at) >= _parse(finished), (before, after)

    # The bad trial (the second, meeting one completed trial) is pruned after its first epoch: its best
    # val accuracy is behind the completed trial's at that epoch. Good trials train every epoch.
    for i, t in enumerate(trials):
        if t["params"]["learning_rate"] == BAD_LR and i > 0:
            assert (t["status"], t["pruned"], t["pruned_at_epoch"], t["epochs_done"]) == ("pruned", True, 1, 1), t
            job = client.get(f"/api/jobs/{t['job_id']}").json()
            assert job["state"] == "SUCCESS" and job["message"] == f"pruned after 1 of {EPOCHS} epochs " \
                "(behind the sweep's median)"
        else:
            assert (t["status"], t["pruned"], t["epochs_done"]) == ("trained", False, EPOCHS), t
    assert trials[1]["status"] == "pruned"
    assert sweep["counts"]["pruned"] == sum(t["status"] == "pruned" for t in trials) >= 1
    assert sweep["counts"]["trained"] + sweep["counts"]["pruned"] == BUDGET

    # Selection on validation: the best trial has the highest val accuracy (ties to the lower index).
    ranked = [t for t in trials if t["val_accuracy"] is not None]
    best = max(ranked, key=lambda t: (t["val_accuracy"], -t["trial_index"]))
    assert sweep["metric"] == "val_accuracy" and sweep["best_version_id"] == best["version_id"]
    assert best["params"]["learning_rate"] == GOOD_LR
    assert trials[1]["val_accuracy"] < best["val_accuracy"]
