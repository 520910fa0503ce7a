"""The analyses API: validation and errors, the token view, the cache (task body run in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from tests.support.versions import TrainedVersion, imdb_trained_version
from worker.attribution.model_cache import models
from worker.tasks.analysis import analyze


@pytest.fixture
def prepared(session_factory: sessionmaker[Session], imdb_subset: Path) -> TrainedVersion:
    models.clear()
    return imdb_trained_version(session_factory, get_store(), imdb_subset, per_class=3)


def test_errors_are_json_with_a_message(client: TestClient, prepared: TrainedVersion) -> None:
    url = f"/api/versions/{prepared.version_id}/analyses"
    sid = prepared.sample_ids[0]
    cases = [
        (url, {"sample_id": sid, "method": "shapley_magic"}, 422, "method"),
        (url, {"sample_id": sid, "params": {"n_steps": 1}}, 422, "n_steps"),
        (url, {"sample_id": sid, "method": "occlusion", "params": {"window": 2, "stride": 3}}, 422, "stride"),
        (url, {"sample_id": sid, "params": {"bogus": 1}}, 422, "bogus"),
        (url, {"text": ""}, 422, "empty"),
        (url, {"text": "   <br />  "}, 422, "empty"),
        (url, {"text": "x" * 100_001}, 413, "limit"),
        (url, {}, 422, "sample_id or text"),
        (url, {"sample_id": sid, "text": "both"}, 422, "sample_id or text"),
        (url, {"sample_id": 99_999}, 404, "99999"),
        (url, {"sample_id": sid, "epoch": 7}, 404, "7"),
        ("/api/versions/999/analyses", {"sample_id": sid}, 404, "version 999"),
        (url + "/batch", {"sample_ids": [sid, 99_999]}, 404, "99999"),
        (url + "/batch", {"sample_ids": []}, 422, "sample_ids"),
    ]
    for path, body, status, words in cases:
        r = client.post(path, json=body)
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["detail"], (body, r.json())
    assert client.get("/api/analyses/12345").status_code == 404


def test_sample_tokens_without_a_model(client: TestClient, prepared: TrainedVersion) -> None:
    sid, text = prepared.sample_ids[1], prepared.texts[1]
    r = client.get(f"/api/samples/{sid}/tokens", params={"version_id": prepared.version_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_count"] == len(body["tokens"]) and body["max_length"] == prepared.max_length
    for t in body["tokens"]:
        assert text[t["start"]:t["end"]] == t["text"]
        assert t["beyond_max_length"] == (t["i"] >= prepared.max_length)
        assert t["attribution"] is None
    assert body["truncated"] == (body["token_count"] > prepared.max_length)
    assert client.get("/api/samples/424242/tokens").status_code == 404


def test_second_request_is_served_from_the_cache(client: TestClient, prepared: TrainedVersion) -> None:
    url = f"/api/versions/{prepared.version_id}/analyses"
    body = {"sample_id": prepared.sample_ids[2], "method": "gradient_x_input"}
    first = client.post(url, json=body)
    assert first.status_code == 202, first.text
    job = first.json()["job"]
    assert job["kind"] == "analyze" and job["state"] == "PENDING"
    analyze(job["id"])  # what the worker would run for this job
    assert client.get(f"/api/jobs/{job['id']}").json()["state"] == "SUCCESS"
    second = client.post(url, json={**body, "params": {}, "epoch": 1})  # same analysis, spelled out
    assert second.status_code == 200, second.text
    out = second.json()
    assert out["cached"] is True and out["sample_id"] == body["sample_id"] and out["epoch"] == 1
    assert out["method"] == "gradient_x_input" and len(out["tokens"]) == out["token_count"]
    assert client.get(f"/api/analyses/{out['id']}").json()["tokens"] == out["tokens"]
    listed = client.get(url, params={"sample_id": body["sample_id"]}).json()
    assert [a["id"] for a in listed] == [out["id"]]
    # A different parameter set is a different analysis.
    assert client.post(url, json={**body, "method": "saliency"}).status_code == 202
    # Batch: the cached one is reported, only the others are queued.
    selection = {"sample_ids": prepared.sample_ids[2:5], "method": "gradient_x_input"}
    batch = client.post(url + "/batch", json=selection)
    assert batch.status_code == 202
    assert batch.json()["cached"] == {str(body["sample_id"]): out["id"]}
    assert batch.json()["pending"] == prepared.sample_ids[3:5]
    analyze(batch.json()["job"]["id"])
    again = client.post(url + "/batch", json=selection)
    assert again.status_code == 200 and again.json()["job"] is None and len(again.json()["cached"]) == 3
