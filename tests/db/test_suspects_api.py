"""Suspect rankings: assembling fold outputs, the chord-free finalisation, the API and its CSV export.

The fold models themselves are exercised in tests/integration/test_suspects_worker.py; here the fold
outputs are written as a fold task would, so the ranking and storage logic is tested on both databases.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.cli.client import ApiClient, ApiError
from backend.core.artifacts import keys
from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.db.models import Job, ModelVersion, SampleResult, SuspectRanking, SuspectScore
from tests.support.flag_data import SyntheticDataset, make_project_dataset
from worker.mislabels import store as ranking_store
from worker.mislabels.folds import assign_folds
from worker.mislabels.jobs import maybe_finalize

FOLDS = 3


def _world(factory: sessionmaker[Session], store: ArtifactStore,
           ) -> tuple[SyntheticDataset, int, int, int, set[int]]:
    """A dataset, a version with 2 epochs of results, a running ranking, its plan and fold outputs.
    Returns (dataset, version id, ranking id, parent job id, planted flipped train sample ids)."""
    d = make_project_dataset(factory, "suspects", per_split={"train": 60, "val": 10, "test": 20})
    rng = np.random.default_rng(0)
    train = np.array(d.sample_ids["train"])
    flipped = set(int(x) for x in rng.choice(train, size=4, replace=False))
    with factory() as s:
        v = ModelVersion(project_id=d.project_id, dataset_id=d.dataset_id, name="v", architecture="cnn",
                         hyperparameters={}, seed=1, status="trained", epochs_done=2, data_fixes={}, graph={})
        s.add(v)
        s.flush()
        for epoch in (1, 2):
            for sid, label in d.labels.items():
                # The model believes the flipped samples belong to the other class.
                agree = 0.9 if sid not in flipped else 0.15
                p_label = min(0.99, agree + 0.03 * epoch)
                p_pos = p_label if label == 1 else 1 - p_label
                s.add(SampleResult(version_id=v.id, epoch=epoch, sample_id=sid, loss=-np.log(p_label),
                                   p_positive=p_pos, p_label=p_label, prediction=int(p_pos > 0.5)))
        parent = Job(kind="suspects", project_id=d.project_id, version_id=v.id, dataset_id=d.dataset_id,
                     state="PROGRESS", params={"folds": FOLDS, "epoch": 2}, message="", detail={}, result={})
        s.add(parent)
        s.flush()
        ranking = SuspectRanking(version_id=v.id, job_id=parent.id, epoch=2, folds=FOLDS, status="running",
                                 method={})
        s.add(ranking)
        s.flush()
        parent.params = {**parent.params, "ranking_id": ranking.id}
        s.commit()
        vid, rid, pid = v.id, ranking.id, parent.id
    # The plan: sample index of each train row (train samples come first in the synthetic dataset).
    labels = np.array([d.labels[int(x)] for x in train])
    plan = ranking_store.CvPlan(train_index=np.arange(len(train)), fold=assign_folds(labels, FOLDS, 1),
                                labels=labels)
    ranking_store.save_plan(store, vid, rid, plan)
    for f in range(FOLDS):
        held = plan.held_out(f)
        p_label = np.array([0.1 if int(train[i]) in flipped else 0.85 for i in held])
        p_pos = np.where(labels[held] == 1, p_label, 1 - p_label)
        probs = np.stack([1 - p_pos, p_pos], 1).astype(np.float32)
        store.put_array(keys.fold_key(vid, rid, f), probs)
    return d, vid, rid, pid, flipped


def _fold_job(factory: sessionmaker[Session], d: SyntheticDataset, vid: int, parent: int, rid: int, f: int,
              state: str) -> None:
    with factory() as s:
        s.add(Job(kind="suspects_fold", project_id=d.project_id, version_id=vid, dataset_id=d.dataset_id,
                  state=state, params={"parent_job_id": parent, "ranking_id": rid, "fold": f, "folds": FOLDS,
                                       "epoch": 2}, message="", detail={}, result={}))
        s.commit()


def test_last_fold_finalizes_once_and_api_serves_the_ranking(
        client: TestClient, session_factory: sessionmaker[Session], env: dict[str, str],
        tmp_path: Path) -> None:
    store = LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"])
    d, vid, rid, parent, flipped = _world(session_factory, store)
    r = client.get(f"/api/versions/{vid}/suspects")
    assert r.status_code == 409 and r.json()["job_id"] == parent
    # The status says so without an error: a client lists suspects only once it says "done".
    r = client.get(f"/api/versions/{vid}/suspects/status")
    assert r.status_code == 200 and r.json() == {"status": "running", "ranking": None, "job_id": parent}

    _fold_job(session_factory, d, vid, parent, rid, 0, "SUCCESS")
    _fold_job(session_factory, d, vid, parent, rid, 1, "SUCCESS")
    _fold_job(session_factory, d, vid, parent, rid, 2, "PROGRESS")
    assert maybe_finalize(parent, session_factory, store) is False  # one fold still running
    with session_factory() as s:
        job = s.get(Job, parent)
        assert job is not None and job.progress == 0.6 and "2 of 3" in job.message
        s.execute(Job.__table__.update().where(Job.kind == "suspects_fold", Job.state == "PROGRESS")
                  .values(state="SUCCESS"))
        s.commit()
    assert maybe_finalize(parent, session_factory, store) is True
    assert maybe_finalize(parent, session_factory, store) is False  # a late caller does nothing
    with session_factory() as s:
        job = s.get(Job, parent)
        ranking = s.get(SuspectRanking, rid)
        assert job is not None and job.state == "SUCCESS" and job.result["samples"] == 90
        assert ranking is not None and ranking.status == "done"
        assert set(ranking.method["weights"]["train"]) == {"confident_learning"}  # the rest is evidence
        assert ranking.method["splits"] == ["train", "val", "test"]
        folds = dict(s.execute(select(SuspectScore.sample_id, SuspectScore.fold)
                               .where(SuspectScore.ranking_id == rid)).all())
    assert {folds[i] for i in d.sample_ids["train"]} == {0, 1, 2}
    assert all(folds[i] is None for i in d.sample_ids["test"])

    status = client.get(f"/api/versions/{vid}/suspects/status").json()
    assert status["status"] == "done" and status["ranking"]["id"] == rid and status["job_id"] is None
    page = client.get(f"/api/versions/{vid}/suspects", params={"split": "train", "limit": 4}).json()
    assert page["total"] == 60 and [x["rank"] for x in page["items"]] == [1, 2, 3, 4]
    assert {x["sample_id"] for x in page["items"]} == flipped
    top = page["items"][0]
    assert "out-of-sample model says" in top["reason"] and top["flag_state"] is None
    client.put(f"/api/projects/{d.project_id}/flags/{top['sample_id']}", json={"state": "suspected",
                                                                              "source": "ranking"})
    page = client.get(f"/api/versions/{vid}/suspects", params={"split": "train", "limit": 1}).json()
    assert page["items"][0]["flag_state"] == "suspected"

    r = client.get(f"/api/versions/{vid}/suspects/export", params={"split": "train"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0] == ("sample_id,score,reason,label,p_positive,loss,split,label_name,"
                                      "suggested_label,suggested_name,p_suggested")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(int(x["sample_id"]) for x in rows) == sorted(d.sample_ids["train"])  # every train sample
    scores = [float(x["score"]) for x in rows]
    assert scores == sorted(scores, reverse=True)
    assert {int(x["sample_id"]) for x in rows[:4]} == flipped
    # p_positive and loss are the fold model's (out of sample): p(label) = 0.1 for a planted flip.
    assert abs(float(rows[0]["loss"]) + np.log(0.1)) < 1e-4
    everything = list(csv.DictReader(io.StringIO(client.get(f"/api/versions/{vid}/suspects/export").text)))
    assert len(everything) == 90

    # Class names and the suggestion (two classes: the other one) ride along.
    assert all(x["label_name"] == ["neg", "pos"][int(x["label"])] for x in rows)
    assert all(int(x["suggested_label"]) == 1 - int(x["label"]) for x in rows)
    assert rows[0]["suggested_name"] == ["neg", "pos"][1 - int(rows[0]["label"])]
    assert page["items"][0]["label_name"] in ("neg", "pos") and page["items"][0]["flag_source"] == "ranking"

    # The CLI's client streams the same file (the CLI itself is run against a server in
    # tests/integration/test_cli_matrix.py).
    api = ApiClient(http=client)
    out = tmp_path / "out" / "suspects.csv"
    api.download(f"/versions/{vid}/suspects/export", {"split": "train"}, out)
    assert out.read_text() == r.text
    with pytest.raises(ApiError, match="404"):
        api.download("/versions/999/suspects/export", {"split": "train"}, tmp_path / "missing.csv")
    assert not (tmp_path / "missing.csv").exists()


def test_start_ranking_validates(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "suspects-start")
    with session_factory() as s:
        v = ModelVersion(project_id=d.project_id, dataset_id=d.dataset_id, name="v", architecture="cnn",
                         hyperparameters={}, seed=1, status="created", epochs_done=0, data_fixes={}, graph={})
        s.add(v)
        s.commit()
        vid = v.id
    assert client.post(f"/api/versions/{vid}/suspects", json={}).status_code == 409  # not trained
    assert client.post("/api/versions/999/suspects", json={}).status_code == 404
    assert client.get(f"/api/versions/{vid}/suspects/status").json() == {"status": "none", "ranking": None,
                                                                       "job_id": None}
    assert client.get("/api/versions/999/suspects/status").status_code == 404
    assert client.post(f"/api/versions/{vid}/suspects", json={"folds": 1}).status_code == 422
    with session_factory() as s:
        for sid in d.labels:
            s.add(SampleResult(version_id=vid, epoch=1, sample_id=sid, loss=0.5, p_positive=0.5, p_label=0.5,
                               prediction=0))
        s.get(ModelVersion, vid).epochs_done = 1  # type: ignore[union-attr]
        s.commit()
    r = client.post(f"/api/versions/{vid}/suspects", json={"folds": 3})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "suspects" and job["params"]["folds"] == 3 and job["params"]["epoch"] == 1
    assert client.post(f"/api/versions/{vid}/suspects", json={}).status_code == 409  # already running
    assert client.post(f"/api/versions/{vid}/suspects", json={"epoch": 2}).status_code in (409, 422)


def test_reviewer_decisions_reorder_the_rest(client: TestClient, session_factory: sessionmaker[Session],
                                             env: dict[str, str]) -> None:
    """`feedback=true`: once reviewers confirmed and dismissed a few suspects, a model of their decisions on
    the signals orders the split; before that the stored order stands."""
    store = LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"])
    d, vid, rid, parent, flipped = _world(session_factory, store)
    for f in range(FOLDS):
        _fold_job(session_factory, d, vid, parent, rid, f, "SUCCESS")
    assert maybe_finalize(parent, session_factory, store) is True
    stored = client.get(f"/api/versions/{vid}/suspects", params={"split": "train", "limit": 60}).json()
    assert client.get(f"/api/versions/{vid}/suspects", params={"feedback": True}).status_code == 422

    confirmed = sorted(flipped)[:3]
    dismissed = [x["sample_id"] for x in stored["items"] if x["sample_id"] not in flipped][:3]
    for sid in confirmed:
        client.put(f"/api/projects/{d.project_id}/flags/{sid}", json={"state": "confirmed", "source": "ranking"})
    for sid in dismissed[:2]:
        client.put(f"/api/projects/{d.project_id}/flags/{sid}", json={"state": "dismissed", "source": "ranking"})
    params = {"split": "train", "limit": 60, "feedback": True}
    early = client.get(f"/api/versions/{vid}/suspects", params=params).json()
    assert early["feedback"] is None  # two dismissals: too few to learn from
    assert [x["sample_id"] for x in early["items"]] == [x["sample_id"] for x in stored["items"]]

    client.put(f"/api/projects/{d.project_id}/flags/{dismissed[2]}", json={"state": "dismissed",
                                                                          "source": "ranking"})
    page = client.get(f"/api/versions/{vid}/suspects", params=params).json()
    assert page["feedback"]["confirmed"] == 3 and page["feedback"]["dismissed"] == 3
    assert page["feedback"]["weights"]["confident_learning"] > 0  # it is what tells them apart here
    assert page["total"] == 60 and [x["rank"] for x in page["items"][:3]] == [1, 2, 3]
    # The planted flips (the fourth one unreviewed) still lead the split.
    assert {x["sample_id"] for x in page["items"][:4]} == flipped


def test_threshold_summary_counts_estimates_and_precision_so_far(
        client: TestClient, session_factory: sessionmaker[Session], env: dict[str, str]) -> None:
    """The suspects view's line beside its threshold: how many pass, precision/recall there (the benchmark's
    until reviewers decided enough on each side), and precision so far among the reviewed."""
    store = LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"])
    d, vid, rid, parent, flipped = _world(session_factory, store)
    for f in range(FOLDS):
        _fold_job(session_factory, d, vid, parent, rid, f, "SUCCESS")
    assert maybe_finalize(parent, session_factory, store) is True
    items = client.get(f"/api/versions/{vid}/suspects", params={"split": "train", "limit": 60}).json()["items"]
    url = f"/api/versions/{vid}/suspects/summary"
    # The four planted flips lead (0.975); every clean sample ties below them.
    assert sorted(x["sample_id"] for x in items[:4]) == sorted(flipped) and items[4]["score"] < 0.9

    first = client.get(url, params={"split": "train", "threshold": 0.9}).json()
    assert (first["split"], first["total"], first["passing"], first["threshold"]) == ("train", 60, 4, 0.9)
    assert first["reviewed"] == {"confirmed": 0, "dismissed": 0, "precision": None}
    est = first["estimate"]
    assert est["precision_source"] == "benchmark" and est["recall_source"] == "benchmark"
    assert 0 < est["precision"] <= 1 and 0 < est["recall"] <= 1 and "IMDB" in est["benchmark"]
    assert client.get(url, params={"split": "train", "threshold": 0}).json()["passing"] == 60

    def decide(sid: int, state: str) -> None:
        r = client.put(f"/api/projects/{d.project_id}/flags/{sid}", json={"state": state, "source": "ranking"})
        assert r.status_code == 200, r.text

    for sid in flipped:
        decide(sid, "confirmed")
    for x in items[10:15]:
        decide(x["sample_id"], "dismissed")
    decide(items[30]["sample_id"], "suspected")  # undecided: counts nowhere
    now = client.get(url, params={"split": "train", "threshold": 0.9}).json()
    # Precision so far among the reviewed, over the split and above the threshold.
    assert now["reviewed"] == {"confirmed": 4, "dismissed": 5, "precision": pytest.approx(4 / 9)}
    assert now["reviewed_passing"] == {"confirmed": 4, "dismissed": 0, "precision": 1.0}
    # Four decisions above the threshold are too few to stand for it: still the benchmark's figures.
    assert now["estimate"] == est

    # Everything passes: nine decisions above, none below; precision from them, recall from the benchmark.
    every = client.get(url, params={"split": "train", "threshold": 0}).json()["estimate"]
    assert every["precision_source"] == "reviews" and every["precision"] == pytest.approx(4 / 9)
    assert every["recall_source"] == "benchmark" and every["recall"] == pytest.approx(1.0, abs=0.05)

    assert client.get(url).json()["threshold"] == 0.9  # train at 0.9 unless asked otherwise
    test = client.get(url, params={"split": "test", "threshold": 0}).json()  # another split, counted apart
    assert (test["total"], test["passing"], test["reviewed"]["precision"]) == (20, 20, None)
    assert client.get(url, params={"split": "train", "threshold": 1.5}).status_code == 422


def test_a_later_ranking_of_one_split_leaves_the_others_readable(
        client: TestClient, session_factory: sessionmaker[Session], env: dict[str, str]) -> None:
    """Ranking test alone after a full ranking: test pages come from the new one, train from the old one."""
    store = LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"])
    d, vid, rid, parent, _ = _world(session_factory, store)
    for f in range(FOLDS):
        _fold_job(session_factory, d, vid, parent, rid, f, "SUCCESS")
    assert maybe_finalize(parent, session_factory, store) is True
    with session_factory() as s:
        later = SuspectRanking(version_id=vid, epoch=2, folds=0, status="done", method={"splits": ["test"]})
        s.add(later)
        s.flush()
        for sid in d.sample_ids["test"][:5]:
            s.add(SuspectScore(ranking_id=later.id, sample_id=sid, split="test", label=d.labels[sid], score=0.5,
                               reason="", p_positive=0.5, loss=0.7, label_issue=False, signals={}))
        s.commit()
        later_id = later.id
    train = client.get(f"/api/versions/{vid}/suspects", params={"split": "train"}).json()
    assert train["ranking"]["id"] == rid and train["total"] == 60
    test = client.get(f"/api/versions/{vid}/suspects", params={"split": "test"}).json()
    assert test["ranking"]["id"] == later_id and test["ranking"]["splits"] == ["test"] and test["total"] == 5
    exported = client.get(f"/api/versions/{vid}/suspects/export", params={"split": "train"}).text.splitlines()
    assert len(exported) == 61
