"""Sessions do not outlive the changes that should end them (SQLite, PostgreSQL): users list and revoke
their browser sessions, a password change signs the user's other sessions out (tokens too when asked),
and an open jobs stream ends once its credential is revoked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.routes.jobs import SSE_RECHECK_SECONDS
from backend.core.auth import accounts
from tests.support.accounts import bearer, user_token
from tests.support.api_server import ApiServer
from tests.support.worker_process import lensboard_env

PASSWORD = "correct horse battery"


def _browser(app: object, username: str, user_agent: str) -> tuple[TestClient, dict[str, str]]:
    """A browser signed in with a password: the client (cookies) and its CSRF header."""
    browser = TestClient(app, headers={"User-Agent": user_agent})  # type: ignore[arg-type]
    r = browser.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return browser, {"X-CSRF-Token": r.json()["csrf_token"]}


@pytest.fixture
def ann(session_factory: sessionmaker[Session]) -> str:
    with session_factory() as s:
        accounts.create_user(s, "ann", PASSWORD)
        s.commit()
    return "ann"


def test_users_list_and_revoke_their_own_sessions(client: TestClient, ann: str,
                                                  session_factory: sessionmaker[Session]) -> None:
    laptop, laptop_csrf = _browser(client.app, ann, "laptop browser")
    phone, _ = _browser(client.app, ann, "phone browser")
    listed = laptop.get("/api/auth/sessions").json()
    assert [(s["name"], s["current"]) for s in listed] == [("laptop browser", True), ("phone browser", False)]
    phone_id = listed[1]["id"]

    # Another user's session is a 404, as if it did not exist, and stays signed in.
    with session_factory() as s:
        accounts.create_user(s, "bob", PASSWORD)
        s.commit()
    bob, bob_csrf = _browser(client.app, "bob", "bob's browser")
    assert bob.delete(f"/api/auth/sessions/{phone_id}", headers=bob_csrf).status_code == 404
    assert client.delete(f"/api/auth/sessions/{phone_id}").status_code == 404  # an administrator's too
    assert phone.get("/api/auth/me").status_code == 200
    # An id is digits only: no other spelling of it names the session.
    for spelling in (f"{phone_id}.0", f"0{phone_id}", f"+{phone_id}", f"{phone_id}e0", f"%20{phone_id}"):
        r = laptop.delete(f"/api/auth/sessions/{spelling}", headers=laptop_csrf)
        assert r.status_code == 422, (spelling, r.status_code)
    assert phone.get("/api/auth/me").status_code == 200
    # A token is not a session.
    token_id = client.post("/api/auth/tokens", json={"name": "t"}, headers=bearer(user_token(session_factory, ann)))
    assert laptop.delete(f"/api/auth/sessions/{token_id.json()['id']}", headers=laptop_csrf).status_code == 404

    assert laptop.delete(f"/api/auth/sessions/{phone_id}", headers=laptop_csrf).status_code == 204
    assert phone.get("/api/auth/me").status_code == 401
    assert [s["name"] for s in laptop.get("/api/auth/sessions").json()] == ["laptop browser"]
    # Revoking the current session signs this browser out.
    mine = laptop.get("/api/auth/sessions").json()[0]["id"]
    r = laptop.delete(f"/api/auth/sessions/{mine}", headers=laptop_csrf)
    assert r.status_code == 204 and any(c.startswith("lensboard_session=") for c in r.headers.get_list("set-cookie"))
    assert laptop.get("/api/auth/me").status_code == 401


def test_a_password_change_signs_other_sessions_out(client: TestClient, ann: str,
                                                     session_factory: sessionmaker[Session]) -> None:
    laptop, laptop_csrf = _browser(client.app, ann, "laptop")
    phone, _ = _browser(client.app, ann, "phone")
    script_token = user_token(session_factory, ann)
    r = laptop.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a new password!"},
                    headers=laptop_csrf)
    assert r.status_code == 204
    assert laptop.get("/api/auth/me").status_code == 200  # the session that changed it stays
    assert phone.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers=bearer(script_token)).status_code == 200  # tokens stay...

    # ...unless asked; then every credential but the one making the request ends.
    cli_token = user_token(session_factory, ann)
    r = client.post("/api/auth/password", headers=bearer(cli_token),
                    json={"current_password": "a new password!", "new_password": "a third one!", "revoke_tokens": True})
    assert r.status_code == 204
    assert client.get("/api/auth/me", headers=bearer(script_token)).status_code == 401
    assert laptop.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers=bearer(cli_token)).status_code == 200
    assert TestClient(client.app).post("/api/auth/login", json={"username": ann, "password": "a third one!"}
                                       ).status_code == 200


@pytest.fixture
def server(db_url: str, data_dir: Path) -> Iterator[ApiServer]:
    env = lensboard_env(db_url, f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir)
    s = ApiServer(env, data_dir / "server.log", "--no-worker")
    s.start()
    yield s
    s.stop()


def test_an_open_job_stream_ends_when_its_token_is_revoked(server: ApiServer) -> None:
    created = httpx.post(f"{server.url}/api/auth/tokens", json={"name": "stream"}, headers=server.headers)
    token, token_id = created.json()["token"], created.json()["id"]
    # A read timeout under the keep-alive interval (15 s): a stream that goes on fails the test.
    timeout = httpx.Timeout(10.0, read=SSE_RECHECK_SECONDS + 6)
    with httpx.stream("GET", f"{server.url}/api/jobs-stream", headers=bearer(token), timeout=timeout) as r:
        assert r.status_code == 200
        assert httpx.delete(f"{server.url}/api/auth/tokens/{token_id}", headers=server.headers).status_code == 204
        revoked = time.monotonic()
        for _ in r.iter_raw():
            pass  # no job events here; the stream must simply end
        assert time.monotonic() - revoked <= SSE_RECHECK_SECONDS + 2
    assert httpx.get(f"{server.url}/api/jobs-stream", headers=bearer(token)).status_code == 401
