"""Retrain-from-flags (the new version and its data fixes) and version comparison (SQLite, PostgreSQL)."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Job, ModelVersion, SampleResult
from tests.support.flag_data import SyntheticDataset, make_project_dataset


def _version(factory: sessionmaker[Session], d: SyntheticDataset, name: str, epochs: int = 2) -> int:
    with factory() as s:
        v = ModelVersion(project_id=d.project_id, dataset_id=d.dataset_id, name=name, architecture="cnn",
                         hyperparameters={"dropout": 0.25, "num_filters": 8}, seed=7, status="trained",
                         epochs_done=epochs, data_fixes={}, graph={})
        s.add(v)
        s.commit()
        return v.id


def _results(factory: sessionmaker[Session], version_id: int, epoch: int, predictions: dict[int, int],
             labels: dict[int, int]) -> None:
    with factory() as s:
        for sid, pred in predictions.items():
            p = 0.9 if pred == 1 else 0.1
            p_label = p if labels[sid] == 1 else 1 - p
            s.add(SampleResult(version_id=version_id, epoch=epoch, sample_id=sid, loss=-math.log(p_label),
                               p_positive=p, p_label=p_label, prediction=pred))
        s.commit()


def test_retrain_applies_exactly_the_confirmed_flags(client: TestClient,
                                                     session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "retrain")
    parent = _version(session_factory, d, "base", epochs=3)
    pid, train = d.project_id, d.sample_ids["train"]
    url = f"/api/versions/{parent}/retrain"
    assert client.post(url, json={"mode": "exclude"}).status_code == 409  # nothing confirmed yet
    client.put(f"/api/projects/{pid}/flags/{train[0]}", json={"state": "confirmed", "corrected_label": 1})
    client.put(f"/api/projects/{pid}/flags/{train[3]}", json={"state": "confirmed", "corrected_label": 0})
    client.put(f"/api/projects/{pid}/flags/{train[4]}", json={"state": "confirmed"})  # a removal
    client.put(f"/api/projects/{pid}/flags/{train[5]}", json={"state": "suspected", "corrected_label": 0})
    client.put(f"/api/projects/{pid}/flags/{train[6]}", json={"state": "dismissed"})
    client.put(f"/api/projects/{pid}/flags/{d.sample_ids['test'][0]}", json={"state": "confirmed"})

    r = client.post(url, json={"mode": "relabel"})
    assert r.status_code == 202, r.text
    out = r.json()
    v = out["version"]
    assert v["parent_id"] == parent and v["seed"] == 7 and v["architecture"] == "cnn"
    assert v["hyperparameters"]["dropout"] == 0.25 and v["hyperparameters"]["num_filters"] == 8
    assert v["data_fixes"] == {"relabel": {str(train[0]): 1, str(train[3]): 0}, "exclude": [train[4]]}
    assert (out["relabelled"], out["excluded"], out["outside_train"]) == (2, 1, 1)
    assert out["job"]["kind"] == "train" and out["job"]["params"] == {"epochs": 3}

    r = client.post(url, json={"mode": "exclude", "epochs": 5, "name": "clean"})
    v = r.json()["version"]
    assert v["data_fixes"] == {"exclude": sorted([train[0], train[3], train[4]])} and v["name"] == "clean"
    with session_factory() as s:
        job = s.scalars(select(Job).where(Job.version_id == v["id"])).one()
        assert job.params == {"epochs": 5} and job.celery_task_id
    assert client.post("/api/versions/999/retrain", json={"mode": "exclude"}).status_code == 404
    assert client.post(url, json={"mode": "both"}).status_code == 422


def test_compare_reports_planted_changes(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory, "compare", per_split={"train": 10, "val": 4, "test": 6})
    a, b = _version(session_factory, d, "a"), _version(session_factory, d, "b", epochs=1)
    all_ids = [i for ids in d.sample_ids.values() for i in ids]
    truth = {sid: d.labels[sid] for sid in all_ids}
    # a is right except on train[0], train[1] and test[0]; b fixes train[0] and test[0] and breaks val[0].
    pred_a = dict(truth)
    for sid in (d.sample_ids["train"][0], d.sample_ids["train"][1], d.sample_ids["test"][0]):
        pred_a[sid] = 1 - truth[sid]
    pred_b = dict(pred_a)
    pred_b[d.sample_ids["train"][0]] = truth[d.sample_ids["train"][0]]
    pred_b[d.sample_ids["test"][0]] = truth[d.sample_ids["test"][0]]
    pred_b[d.sample_ids["val"][0]] = 1 - truth[d.sample_ids["val"][0]]
    _results(session_factory, a, 1, {k: 1 - v for k, v in truth.items()}, truth)  # an older, worse epoch
    _results(session_factory, a, 2, pred_a, truth)
    _results(session_factory, b, 1, pred_b, truth)
    flagged = d.sample_ids["train"][1]
    client.put(f"/api/projects/{d.project_id}/flags/{flagged}",
               json={"state": "confirmed", "corrected_label": 1 - truth[flagged]})

    r = client.get("/api/versions/compare", params={"a": a, "b": b})
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["epoch_a"], c["epoch_b"]) == (2, 1)
    splits = {s["split"]: s for s in c["splits"]}
    assert splits["train"]["a"]["accuracy"] == 0.8 and splits["train"]["b"]["accuracy"] == 0.9
    assert (splits["train"]["fixed"], splits["train"]["broken"], splits["train"]["changed"]) == (1, 0, 1)
    assert (splits["val"]["fixed"], splits["val"]["broken"]) == (0, 1)
    assert (splits["test"]["fixed"], splits["test"]["a"]["count"]) == (1, 6)
    assert c["changed_total"] == 3
    assert {x["sample_id"] for x in c["changed"]} == {
        d.sample_ids["train"][0], d.sample_ids["test"][0], d.sample_ids["val"][0]}
    assert splits["train"]["a"]["loss"] > splits["train"]["b"]["loss"] > 0
    [move] = c["flagged"]
    # The flagged sample is predicted as its corrected label by both versions (it was "wrong" vs the dataset).
    assert move["sample_id"] == flagged and move["target"] == 1 - truth[flagged]
    assert move["agrees_a"] and move["agrees_b"] and c["flagged_summary"]["agree_b"] == 1

    r = client.get("/api/versions/compare", params={"a": a, "b": b, "epoch_a": 1, "limit": 1})
    assert r.json()["changed_total"] == 18 and len(r.json()["changed"]) == 1
    assert client.get("/api/versions/compare", params={"a": a, "b": 999}).status_code == 404
    assert client.get("/api/versions/compare", params={"a": a, "b": b, "epoch_b": 4}).status_code == 404
    other = make_project_dataset(session_factory, "compare-other")
    c2 = _version(session_factory, other, "x")
    assert client.get("/api/versions/compare", params={"a": a, "b": c2}).status_code == 422
