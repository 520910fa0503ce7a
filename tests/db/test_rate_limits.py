"""Per-user rate limits on the endpoints that start heavy work (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.limits import TokenBuckets
from backend.core.auth import accounts
from backend.core.settings import get_settings
from tests.support.accounts import add_member, admin_token, bearer, user_token
from tests.support.flag_data import make_project_dataset
from tests.support.versions import insert_version


@pytest.fixture
def limited(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setenv("LENSBOARD_RATE_LIMIT_TRAIN_PER_MINUTE", "2")
    monkeypatch.setenv("LENSBOARD_RATE_LIMIT_COMPUTE_PER_MINUTE", "0")  # off
    get_settings.cache_clear()
    return session_factory


def _version(factory: sessionmaker[Session]) -> tuple[int, int]:
    """(project id, version id)."""
    d = make_project_dataset(factory)
    with factory() as s:
        return d.project_id, insert_version(s, d.project_id, d.dataset_id).id


def test_over_the_limit_is_429_with_retry_after(limited: sessionmaker[Session]) -> None:
    _, version_id = _version(limited)
    app = create_app(limited)
    with TestClient(app, headers=bearer(admin_token(limited))) as client:
        # Every request counts, whatever it answers: the limit protects the API, not just the queue.
        assert client.post(f"/api/versions/{version_id}/train", json={"epochs": 1}).status_code == 202
        assert client.post(f"/api/versions/{version_id}/train", json={"epochs": 1}).status_code == 409
        r = client.post(f"/api/versions/{version_id}/train", json={"epochs": 1})
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"].startswith("too many train requests: at most 2 a minute")
        # 2 a minute: the next token is 30 s away.
        assert 1 <= int(r.headers["Retry-After"]) <= 30

        # The same kind from the same user is refused anywhere, also on another route of that kind...
        assert client.post(f"/api/versions/{version_id}/retrain", json={}).status_code == 429
        # ...but another kind (here with its limit off) is not held back.
        for _ in range(5):
            assert client.post(f"/api/versions/{version_id}/suspects", json={}).status_code == 409


def test_buckets_belong_to_users_not_to_addresses_or_tokens(limited: sessionmaker[Session]) -> None:
    project_id, version_id = _version(limited)
    ann_laptop, ann_server, bob = (user_token(limited, name) for name in ("ann", "ann", "bob"))
    for name in ("ann", "bob"):
        add_member(limited, project_id, name, "editor")
    with limited() as s:
        ann = accounts.user_by_name(s, "ann")
        assert ann is not None
        ann_id = ann.id
    train = f"/api/versions/{version_id}/train"
    app = create_app(limited)
    with TestClient(app, headers=bearer(ann_laptop)) as laptop, \
            TestClient(app, headers=bearer(ann_server), client=("10.0.0.2", 4000)) as server, \
            TestClient(app, headers=bearer(bob)) as bobs:
        # Two tokens of one user, from two addresses, draw on one bucket...
        assert laptop.post(train, json={"epochs": 1}).status_code == 202
        assert server.post(train, json={"epochs": 1}).status_code == 409
        assert server.post(train, json={"epochs": 1}).status_code == 429
        assert laptop.post(train, json={"epochs": 1}).status_code == 429
        # ...the user's: it is empty for `user:<id>`, whoever asks...
        assert app.state.rate_buckets.take(f"user:{ann_id}", "train", 2) > 0
        # ...while another user at the same address as the first has a full one of his own.
        assert bobs.post(train, json={"epochs": 1}).status_code == 409
        assert bobs.post(train, json={"epochs": 1}).status_code == 409
        assert bobs.post(train, json={"epochs": 1}).status_code == 429


def test_the_limits_are_declared_in_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [("/api/versions/{version_id}/train", "post"), ("/api/versions/{version_id}/analyses", "post"),
                         ("/api/versions/{version_id}/analyses/batch", "post"),
                         ("/api/versions/{version_id}/maps/{epoch}", "post"),
                         ("/api/versions/{version_id}/suspects", "post"),
                         ("/api/projects/{project_id}/sweeps", "post"),
                         ("/api/projects/{project_id}/datasets/imdb", "post"),
                         ("/api/auth/login", "post"), ("/api/auth/link", "get")]:
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
