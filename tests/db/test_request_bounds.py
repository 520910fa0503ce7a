"""Bounded requests (SQLite, PostgreSQL): free-form JSON fields have a depth and size limit checked before
anything is saved, every request body is capped, a 422 never echoes what was sent, and a `ui_state`
stored before the limits existed cannot break the project list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Project
from backend.core.settings import get_settings
from tests.support.accounts import add_member, bearer, user_token
from tests.support.flag_data import make_project_dataset
from tests.support.versions import insert_version


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _ui_state(factory: sessionmaker[Session], project_id: int) -> Any:
    with factory() as s:
        project = s.get(Project, project_id)
        assert project is not None
        return project.ui_state


@pytest.mark.parametrize("depth", [33, 300, 900])
def test_deep_ui_state_is_422_and_not_saved(client: TestClient, session_factory: sessionmaker[Session],
                                            depth: int) -> None:
    pid = client.post("/api/projects", json={"name": "deep"}).json()["id"]
    assert client.patch(f"/api/projects/{pid}", json={"ui_state": {"layout": [1]}}).status_code == 200
    r = client.patch(f"/api/projects/{pid}", json={"ui_state": nested(depth)})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("ui_state: Value error, nested deeper than 32 levels")
    assert _ui_state(session_factory, pid) == {"layout": [1]}
    # Everyone's project list still loads.
    assert client.get("/api/projects").status_code == 200
    # 32 levels is within the limit.
    assert client.patch(f"/api/projects/{pid}", json={"ui_state": nested(32)}).status_code == 200


def test_large_ui_state_is_422_and_not_saved(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid = client.post("/api/projects", json={"name": "large"}).json()["id"]
    big = {"notes": ["x" * 1000] * 300}  # ~300 KB, under the body cap but over ui_state's 256 KiB
    r = client.patch(f"/api/projects/{pid}", json={"ui_state": big})
    assert r.status_code == 422
    assert "over the limit of 262,144" in r.json()["detail"]
    assert _ui_state(session_factory, pid) == {}


def test_other_free_form_fields_are_bounded(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    d = make_project_dataset(session_factory)
    with session_factory() as s:
        version_id = insert_version(s, d.project_id, d.dataset_id).id
    deep = nested(9)
    cases = [
        (f"/api/projects/{d.project_id}/versions", {"architecture": "cnn", "hyperparameters": deep},
         "hyperparameters"),
        (f"/api/projects/{d.project_id}/sweeps", {"space": {"dropout": [0.1]}, "hyperparameters": deep},
         "hyperparameters"),
        (f"/api/projects/{d.project_id}/sweeps", {"space": {"dropout": [0.1], "x": deep}}, "space"),
        (f"/api/versions/{version_id}/analyses", {"text": "good film", "params": deep}, "params"),
        (f"/api/versions/{version_id}/analyses/batch", {"sample_ids": [1], "params": deep}, "params"),
    ]
    for url, body, field in cases:
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail"].startswith(f"{field}: Value error, nested deeper than 8 levels"), r.text
    r = client.post(f"/api/projects/{d.project_id}/sweeps", json={"space": {"dropout": ["x" * 70_000]}})
    assert r.status_code == 422 and "over the limit of 65,536" in r.json()["detail"]


def test_a_stored_bad_ui_state_reads_as_empty(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """A value written before the limits (or by anything but the API) must not break the list for anyone."""
    owner = user_token(session_factory, "olga")
    good = client.post("/api/projects", json={"name": "good"}, headers=bearer(owner)).json()["id"]
    bad = client.post("/api/projects", json={"name": "bad"}, headers=bearer(owner)).json()["id"]
    user_token(session_factory, "vic")
    add_member(session_factory, bad, "vic", "viewer")
    client.patch(f"/api/projects/{good}", json={"ui_state": {"kept": True}}, headers=bearer(owner))
    with session_factory() as s:
        s.execute(update(Project).where(Project.id == bad).values(ui_state=nested(600)))
        s.commit()
    for headers in (bearer(owner), {}):  # the owner, and the administrator
        r = client.get("/api/projects", headers=headers)
        assert r.status_code == 200, r.text
        states = {p["id"]: p["ui_state"] for p in r.json()}
        assert states[bad] == {} and states[good] == {"kept": True}
    vic = client.get(f"/api/projects/{bad}", headers=bearer(user_token(session_factory, "vic")))
    assert vic.status_code == 200 and vic.json()["ui_state"] == {}
    # The dashboard's next save replaces it.
    assert client.patch(f"/api/projects/{bad}", json={"ui_state": {"fresh": 1}}).json()["ui_state"] == {"fresh": 1}


@pytest.fixture
def small_bodies(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setenv("LENSBOARD_MAX_BODY_BYTES", "10000")
    get_settings.cache_clear()
    yield session_factory
    get_settings.cache_clear()


def test_request_bodies_are_capped(client: TestClient, small_bodies: sessionmaker[Session]) -> None:
    pid = client.post("/api/projects", json={"name": "capped"}).json()["id"]
    body = json.dumps({"description": "x" * 20_000}).encode()
    r = client.patch(f"/api/projects/{pid}", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"detail": "the request body is over the limit of 10,000 bytes (LENSBOARD_MAX_BODY_BYTES)"}

    # Without a Content-Length (chunked), the body is counted as it arrives.
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    r = client.patch(f"/api/projects/{pid}", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "LENSBOARD_MAX_BODY_BYTES" in r.json()["detail"]
    assert client.get(f"/api/projects/{pid}").json()["description"] == ""
    # Under the cap, the same request goes through.
    assert client.patch(f"/api/projects/{pid}", json={"description": "x" * 5000}).status_code == 200


def test_the_default_body_cap_is_a_mebibyte(client: TestClient) -> None:
    pid = client.post("/api/projects", json={"name": "mib"}).json()["id"]
    r = client.patch(f"/api/projects/{pid}", json={"ui_state": {"x": "y" * (1 << 20)}})
    assert r.status_code == 413 and "1,048,576 bytes" in r.json()["detail"]


def test_422_never_echoes_the_input(client: TestClient) -> None:
    secret = "hunter2-my-real-password"
    r = client.post("/api/users", json={"username": "x" * 100, "password": secret})
    assert r.status_code == 422 and r.json()["errors"]
    assert secret not in r.text and "input" not in json.dumps(r.json())
    r = client.post("/api/auth/password", json={"new_password": "Qx7!", "current_password": secret})
    assert r.status_code == 422 and secret not in r.text and "Qx7!" not in r.text
    pid = client.post("/api/projects", json={"name": "echo"}).json()["id"]
    r = client.patch(f"/api/projects/{pid}", json={"ui_state": {"secret": secret, **nested(40)}})
    assert r.status_code == 422 and secret not in r.text
