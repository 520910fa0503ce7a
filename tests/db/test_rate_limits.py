"""Per-client rate limits on the endpoints that start heavy work (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.limits import TokenBuckets
from backend.settings import get_settings
from tests.support.flag_data import make_project_dataset
from tests.support.versions import insert_version


@pytest.fixture
def limited(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setenv("LENSBOARD_RATE_LIMIT_TRAIN_PER_MINUTE", "2")
    monkeypatch.setenv("LENSBOARD_RATE_LIMIT_COMPUTE_PER_MINUTE", "0")  # off
    get_settings.cache_clear()
    return session_factory


def _version(factory: sessionmaker[Session]) -> int:
    d = make_project_dataset(factory)
    with factory() as s:
        return insert_version(s, d.project_id, d.dataset_id).id


def test_over_the_limit_is_429_with_retry_after(limited: sessionmaker[Session]) -> None:
    version_id = _version(limited)
    app = create_app(limited)
    with TestClient(app) as client, TestClient(app, client=("10.0.0.2", 4000)) as other:
        # Every request counts, whatever it answers: the limit protects the API, not just the queue.
        assert client.post(f"/api/versions/{version_id}/train", json={"epochs": 1}).status_code == 202
        assert client.post(f"/api/versions/{version_id}/train", json={"epochs": 1}).status_code == 409
        r = client.post(f"/api/versions/{version_id}/train", json={"epochs": 1})
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"].startswith("too many train requests: at most 2 a minute")
        # 2 a minute: the next token is 30 s away.
        assert 1 <= int(r.headers["Retry-After"]) <= 30

        # The same kind from the same client is refused anywhere, also on another route of that kind...
        assert client.post(f"/api/versions/{version_id}/retrain", json={}).status_code == 429
        # ...but another client, and another kind (here with its limit off), are not held back.
        assert other.post(f"/api/versions/{version_id}/train", json={"epochs": 1}).status_code == 409
        for _ in range(5):
            assert client.post(f"/api/versions/{version_id}/suspects", json={}).status_code == 409


def test_the_limits_are_declared_in_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [("/api/versions/{version_id}/train", "post"), ("/api/versions/{version_id}/analyses", "post"),
                         ("/api/versions/{version_id}/analyses/batch", "post"),
                         ("/api/versions/{version_id}/maps/{epoch}", "post"),
                         ("/api/versions/{version_id}/suspects", "post"),
                         ("/api/projects/{project_id}/sweeps", "post"),
                         ("/api/projects/{project_id}/datasets/imdb", "post")]:
        assert "429" in paths[path][method]["responses"], path
    assert "429" not in paths["/api/versions/{version_id}"]["get"]["responses"]


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(clock=lambda: now[0])
    assert [buckets.take("a", "analyze", 6) for _ in range(6)] == [0.0] * 6  # a burst of the whole limit
    assert buckets.take("a", "analyze", 6) == pytest.approx(10.0)  # 6 a minute: one every 10 s
    now[0] = 5.0
    assert buckets.take("a", "analyze", 6) == pytest.approx(5.0)
    now[0] = 10.0
    assert buckets.take("a", "analyze", 6) == 0.0
    assert buckets.take("b", "analyze", 6) == 0.0  # principals have their own buckets
    now[0] = 1000.0  # a long pause refills to the limit, no more
    assert [buckets.take("a", "analyze", 6) for _ in range(7)].count(0.0) == 6
