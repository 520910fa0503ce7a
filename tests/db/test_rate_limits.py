"""Per-user rate limits on the endpoints that start heavy work (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.limits import TokenBuckets
from backend.core.auth import accounts
from backend.core.settings import get_settings
from tests.support.accounts import add_member, admin_token, bearer, user_token
from tests.support.api_server import ApiServer
from tests.support.flag_data import make_project_dataset
from tests.support.versions import insert_version
from tests.support.worker_process import lensboard_env


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


def test_failed_sign_ins_are_limited_per_username_from_any_address(
        session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENSBOARD_RATE_LIMIT_LOGIN_PER_USERNAME_PER_MINUTE", "3")
    get_settings.cache_clear()
    with session_factory() as s:
        accounts.create_user(s, "ann", "correct horse battery")
        accounts.create_user(s, "bob", "correct horse battery")
        s.commit()
    app = create_app(session_factory)

    def login(address: str, username: str, password: str = "a wrong guess") -> int:
        with TestClient(app, client=(address, 4000)) as c:
            return c.post("/api/auth/login", json={"username": username, "password": password}).status_code

    # A success never counts against the name.
    assert [login("10.0.0.1", "ann", "correct horse battery") for _ in range(5)] == [200] * 5
    # Each guess from a new address: the address limit (20) never applies, the username's (3) does...
    assert [login(f"10.0.1.{i}", "ANN") for i in range(5)] == [401, 401, 401, 429, 429]
    # ...to every address, and before the password is checked: the right one is refused too for now.
    assert login("10.0.2.1", "ann", "correct horse battery") == 429
    # Other names are not held back.
    assert login("10.0.2.1", "bob", "correct horse battery") == 200
    assert login("10.0.2.1", "bob") == 401


@pytest.mark.parametrize("trusted", [False, True])
def test_serve_believes_forwarded_addresses_only_from_trusted_proxies(
        db_url: str, data_dir: Path, trusted: bool) -> None:
    """`lensboard serve` behind no proxy (the default): X-Forwarded-For is the client's to write, so it
    must not pick the address that sign-in attempts count against. Behind a trusted proxy it is the client."""
    extra = {"LENSBOARD_RATE_LIMIT_LOGIN_PER_MINUTE": "3", "LENSBOARD_RATE_LIMIT_LOGIN_PER_USERNAME_PER_MINUTE": "0"}
    if trusted:
        extra["LENSBOARD_TRUSTED_PROXIES"] = '["127.0.0.1"]'
    env = lensboard_env(db_url, f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir, **extra)
    server = ApiServer(env, data_dir / "server.log", "--no-worker")
    server.start()
    try:
        def login(forwarded_for: str) -> int:
            return httpx.post(f"{server.url}/api/auth/login", headers={"X-Forwarded-For": forwarded_for},
                              json={"username": "nobody", "password": "a wrong guess"}).status_code

        changing = [login(f"203.0.113.{i}") for i in range(5)]
        if trusted:
            assert changing == [401] * 5  # five clients behind the proxy, each with its own bucket
            assert [login("198.51.100.7") for _ in range(4)] == [401, 401, 401, 429]
        else:
            assert changing == [401, 401, 401, 429, 429]  # one client, whatever the header says
    finally:
        server.stop()
