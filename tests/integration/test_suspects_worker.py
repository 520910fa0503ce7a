"""The whole mislabel loop through the API and two REAL workers on Redis and PostgreSQL:
train -> rank suspects (K fold jobs in parallel) -> confirm the top -> retrain relabelled -> compare.

Data: a seeded subset of the shared IMDB archive with planted label flips in train.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.db.models import Job, ModelVersion, Sample, SuspectScore
from tests.support.datasets import create_project, insert_dataset
from tests.support.imports import imported_on_worker
from tests.support.versions import SMALL_CNN
from tests.support.worker_process import WorkerProcess
from worker.mislabels import store as ranking_store

pytestmark = pytest.mark.integration

FOLDS = 3
EPOCHS = 4


def read_subset(root: Path, seed: int = 0) -> tuple[list[str], list[int], list[str]]:
    """All reviews of the subset folder, re-split 80/10/10 (seeded) so train is large enough to learn."""
    files = sorted(root.glob("*/*/*.txt"))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(files))
    texts, labels, splits = [], [], []
    for rank, i in enumerate(order):
        path = files[i]
        texts.append(path.read_text(encoding="utf-8"))
        labels.append(1 if path.parent.name == "pos" else 0)
        splits.append("train" if rank < 0.8 * len(files) else "val" if rank < 0.9 * len(files) else "test")
    return texts, labels, splits


def wait_job(client: TestClient, job_id: int, timeout: float,
             workers: list[WorkerProcess]) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("SUCCESS", "FAILURE"):
            assert job["state"] == "SUCCESS", f"{job['error']}\n" + "\n".join(w.log() for w in workers)
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not done in {timeout}s:\n" + "\n".join(w.log() for w in workers))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_rank_confirm_retrain_compare(redis_worker: WorkerProcess, redis_env: dict[str, str],
                                      data_dir: Path, client: TestClient,
                                      session_factory: sessionmaker[Session], imdb_subset: Path) -> None:
    second = WorkerProcess(redis_env, data_dir / "worker-2.log")
    second.start()
    workers = [redis_worker, second]
    try:
        store = LocalArtifactStore(redis_env["LENSBOARD_ARTIFACT_ROOT"])
        _loop(client, session_factory, store, imdb_subset, workers)
    finally:
        second.stop()


def _loop(client: TestClient, factory: sessionmaker[Session], store: ArtifactStore, subset: Path,
          workers: list[WorkerProcess]) -> None:
    texts, truth, splits = read_subset(subset)
    train = [i for i, s in enumerate(splits) if s == "train"]
    rng = np.random.default_rng(1)
    planted = set(int(i) for i in rng.choice(train, size=len(train) // 20, replace=False))
    labels = [1 - y if i in planted else y for i, y in enumerate(truth)]
    with factory() as s:
        project = create_project(s, "mislabels-loop")
        dataset = insert_dataset(s, store, project.id, texts, labels, splits, vocab_size=8000,
                                 max_length=200)
        pid, did = project.id, dataset.id
        index_to_id = dict(s.execute(select(Sample.index, Sample.id).where(Sample.dataset_id == did)).all())
    flipped_ids = {index_to_id[i] for i in planted}

    r = client.post(f"/api/projects/{pid}/versions",
                    json={"architecture": "cnn", "hyperparameters": SMALL_CNN, "seed": 3, "dataset_id": did})
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    train_job = client.post(f"/api/versions/{vid}/train", json={"epochs": EPOCHS}).json()
    wait_job(client, train_job["id"], 600, workers)

    # Rank: K fold jobs on two workers, the last one to finish stores the ranking.
    job = client.post(f"/api/versions/{vid}/suspects", json={"folds": FOLDS}).json()
    done = wait_job(client, job["id"], 600, workers)
    assert done["result"]["samples"] == len(texts)
    with factory() as s:
        folds = s.scalars(select(Job).where(Job.kind == "suspects_fold", Job.version_id == vid)).all()
        assert sorted(j.params["fold"] for j in folds) == list(range(FOLDS))
        assert all(j.state == "SUCCESS" for j in folds)
        # Parallel: fold jobs ran on both workers at overlapping times.
        assert len({j.worker for j in folds}) == 2
        spans = sorted((j.started_at, j.finished_at) for j in folds)
        assert any(a[1] > b[0] for a, b in itertools.pairwise(spans))
        scored = dict(s.execute(select(SuspectScore.sample_id, SuspectScore.fold)
                                .where(SuspectScore.ranking_id == done["result"]["ranking_id"])).all())
    plan = ranking_store.load_plan(store, vid, done["result"]["ranking_id"])
    # The folds partition train exactly; each train sample was scored by the one model that never saw it.
    assert np.array_equal(np.sort(plan.train_index), np.array(sorted(train)))
    for f in range(FOLDS):
        assert not np.intersect1d(plan.trained_on(f), plan.held_out(f)).size
        assert {scored[index_to_id[int(i)]] for i in plan.held_out(f)} == {f}

    k = len(flipped_ids)
    page = client.get(f"/api/versions/{vid}/suspects", params={"split": "train", "limit": 2 * k}).json()
    top = page["items"]
    hits = flipped_ids & {x["sample_id"] for x in top}
    # A small CNN on ~1,600 real reviews is a weak model, so this asks for a clear enrichment (twice
    # what a random ranking finds); "most flips in the top 2k" is asserted on a learnable dataset in
    # tests/db/test_suspects_pipeline.py and measured at scale by bench/mislabels.py.
    by_chance = k * (2 * k) / len(train)
    assert len(hits) >= 2 * by_chance, f"only {len(hits)} of {k} planted flips in the top {2 * k}"

    # Confirm the planted flips found in the top 2k with their true label; retrain relabelled; compare.
    for x in top:
        if x["sample_id"] in hits:
            client.put(f"/api/projects/{pid}/flags/{x['sample_id']}",
                       json={"state": "confirmed", "corrected_label": 1 - x["label"], "source": "ranking"})
    r = client.post(f"/api/versions/{vid}/retrain", json={"mode": "relabel"})
    assert r.status_code == 202, r.text
    child = r.json()["version"]
    id_to_index = {sid: i for i, sid in index_to_id.items()}
    assert child["data_fixes"] == {"relabel": {str(i): 1 - labels[id_to_index[i]] for i in sorted(hits)}}
    wait_job(client, r.json()["job"]["id"], 600, workers)
    with factory() as s:
        from worker.pipeline.data import load_training_data

        v = s.get(ModelVersion, child["id"])
        assert v is not None and v.epochs_done == EPOCHS
        data = load_training_data(s, v, store)
        changed = np.flatnonzero(data.train_labels != data.labels)
        assert {int(data.sample_ids[i]) for i in changed} == hits
    c = client.get("/api/versions/compare", params={"a": vid, "b": child["id"]}).json()
    assert {m["sample_id"] for m in c["flagged"]} == hits
    assert all(m["relabelled_in_b"] for m in c["flagged"])
    assert c["changed_total"] == sum(s["changed"] for s in c["splits"])



@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_three_classes_with_planted_flips_rank_on_a_worker(client: TestClient, tmp_path: Path,
                                                            embedded_worker: WorkerProcess) -> None:
    """A synthetic 3-class CSV dataset with labels moved to another class in train and test: the ranking
    (fold models for train, the version for test) puts the planted flips on top and suggests their true
    class; names come back as the dataset's class names."""
    from tests.support.custom_data import synthetic_rows, write_csv, zip_folder
    from tests.support.polling import wait_for_job

    rng = np.random.default_rng(7)
    folder = tmp_path / "news"
    folder.mkdir()
    truth: dict[str, dict[str, int]] = {}
    for name, per_class, seed in (("train", 60, 0), ("valid", 15, 1), ("test", 30, 2)):
        rows = synthetic_rows(per_class, seed)
        names = sorted({r["label"] for r in rows})
        planted = set(int(i) for i in rng.choice(len(rows), size=len(rows) // 10, replace=False))
        for i, row in enumerate(rows):
            row["text"] = f"{name} row {i}: {row['text']}"  # a unique text finds the row again
            if i in planted:
                # Move it to another class: the next one in the list.
                truth.setdefault(name, {})[row["text"]] = names.index(row["label"])
                row["label"] = names[(names.index(row["label"]) + 1) % len(names)]
        write_csv(folder / f"{name}.csv", rows)
    archive = zip_folder(folder, tmp_path / "news.zip")
    pid = client.post("/api/projects", json={"name": "news"}).json()["id"]
    dataset = imported_on_worker(client, pid, archive, embedded_worker, name="news")
    classes = dataset["classes"]
    assert classes == ["politics", "science", "sports"]

    r = client.post(f"/api/projects/{pid}/versions",
                    json={"dataset_id": dataset["id"], "hyperparameters": SMALL_CNN, "seed": 0})
    vid = r.json()["id"]
    job = wait_for_job(client, client.post(f"/api/versions/{vid}/train", json={"epochs": 3}).json()["id"],
                       embedded_worker)
    assert job["state"] == "SUCCESS", f"{job}\n{embedded_worker.log()}"
    rows = client.get(f"/api/versions/{vid}/samples", params={"limit": 5}).json()["items"]
    assert all(row["label_name"] == classes[row["label"]] for row in rows)
    # The prediction is named too: three classes have no "positive" for a reader to fall back on.
    assert all(row["result"]["prediction_name"] == classes[row["result"]["prediction"]] for row in rows)
    # One sample's detail carries every class's probability, consistent with what its result row says.
    for row in rows[:2]:
        detail = client.get(f"/api/samples/{row['id']}", params={"version_id": vid}).json()
        last = detail["results"][-1]
        probs = last["probabilities"]
        assert len(probs) == 3 and abs(sum(probs) - 1) < 1e-4
        assert max(range(3), key=lambda c: probs[c]) == last["prediction"]
        assert abs(probs[row["label"]] - last["p_label"]) < 1e-5 and abs(probs[1] - last["p_positive"]) < 1e-5

    r = client.post(f"/api/versions/{vid}/suspects", json={"splits": ["train", "test"], "folds": 2})
    assert r.status_code == 202, r.text
    done = wait_for_job(client, r.json()["id"], embedded_worker, timeout=900)
    assert done["state"] == "SUCCESS", f"{done}\n{embedded_worker.log()}"

    for split, source in (("train", "train"), ("test", "test")):
        planted = truth[source]
        page = client.get(f"/api/versions/{vid}/suspects", params={"split": split, "limit": 2 * len(planted)})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["ranking"]["splits"] == ["train", "test"] and body["ranking"]["folds"] == 2
        texts = {s["sample_id"]: client.get(f"/api/samples/{s['sample_id']}").json()["text"]
                 for s in body["items"]}
        top = [s for s in body["items"] if texts[s["sample_id"]] in planted]
        # Cue words make the task easy: most planted flips lie in the top 2k...
        assert len(top) >= 0.6 * len(planted), (split, len(top), len(planted))
        # ...and the suggestion is their true class, named.
        right = [s for s in top if s["suggested_label"] == planted[texts[s["sample_id"]]]]
        assert len(right) >= 0.8 * len(top), (split, len(right), len(top))
        assert all(s["label_name"] == classes[s["label"]] and s["suggested_name"] == classes[s["suggested_label"]]
                   for s in body["items"])
    # The split that was not ranked is said so, not exported empty.
    r = client.get(f"/api/versions/{vid}/suspects/export", params={"split": "val"})
    assert r.status_code == 409 and "no finished suspect ranking of val" in r.json()["detail"]
    assert "--splits val" in r.json()["detail"]
    exported = client.get(f"/api/versions/{vid}/suspects/export", params={"split": "test"}).text.splitlines()
    assert len(exported) == 1 + 90
