"""Access control, walked over every operation of the OpenAPI schema (the routes are enumerated, never
listed by hand): anonymous callers get 401, non-members 404 (as for an id that does not exist), viewers
403 on anything that changes state, editors 403 on what only owners may do; and each allowed caller gets
exactly the answer an administrator gets.

Plus the pieces the walk relies on: passwords, sessions with CSRF, one-time links, tokens and members.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.auth import accounts
from backend.core.db.models import Analysis, Credential, Job, Sample, Sweep, User
from tests.support.accounts import add_member, bearer, user_token
from tests.support.datasets import synthetic_reviews
from tests.support.versions import trained_version

# Operations anyone may call. Everything else must declare (and enforce) a signed-in caller.
PUBLIC = {"health", "ready", "login", "useLoginLink"}
# Operations about the caller themself or the site, not about a project's data.
SELF_OR_SITE = {"getMe", "logout", "changePassword", "listTokens", "createToken", "revokeToken", "listUsers",
                "createUser", "listProjects", "createProject", "listJobs", "streamJobs", "listArchitectures",
                "listAnalysisMethods"}
SAFE = {"get", "head"}
ANALYSIS_RESULT = {
    "method": "saliency", "params": {}, "classes": ["neg", "pos"], "prediction": 1, "probabilities": [0.4, 0.6],
    "tokens": [], "token_count": 0, "visible_count": 0, "max_length": 32, "timing": {"total": 0.1},
    "faithfulness": {"percents": [10], "comprehensiveness": 0.1, "sufficiency": 0.1, "comprehensiveness_at": [0.1],
                     "sufficiency_at": [0.1], "random_comprehensiveness": 0.0, "random_sufficiency": 0.0},
}


def _seed(factory: sessionmaker[Session], client: TestClient) -> dict[str, Any]:
    data = synthetic_reviews(40, seed=5)
    v = trained_version(factory, get_store(), data.texts, data.labels, data.splits, epochs=1, max_length=32)
    with factory() as s:
        sample_id = s.scalars(select(Sample.id).where(Sample.dataset_id == v.dataset_id).limit(1)).one()
        job = Job(kind="training", project_id=v.project_id, version_id=v.version_id, state="SUCCESS")
        sweep = Sweep(project_id=v.project_id, dataset_id=v.dataset_id, name="s", architecture="cnn",
                      base_hyperparameters={}, space={}, strategy="grid", epochs=1, trials=[], status="done")
        analysis = Analysis(cache_key=uuid.uuid4().hex, version_id=v.version_id, epoch=1, sample_id=sample_id,
                            method="saliency", params={}, prediction=1, p_positive=0.6, comprehensiveness=0.1,
                            sufficiency=0.1, seconds=0.1, result=ANALYSIS_RESULT)
        s.add_all([job, sweep, analysis])
        s.commit()
        ids = {"project_id": v.project_id, "dataset_id": v.dataset_id, "version_id": v.version_id,
               "sample_id": sample_id, "job_id": job.id, "sweep_id": sweep.id, "analysis_id": analysis.id,
               "epoch": 1, "batch_id": "no-such-batch"}
    tokens = {name: user_token(factory, name) for name in ("owner", "editor", "viewer", "stranger")}
    for name, role in (("owner", "owner"), ("editor", "editor"), ("viewer", "viewer")):
        add_member(factory, v.project_id, name, role)
    with factory() as s:
        ids["user_id"] = s.scalar(select(User.id).where(User.username == "viewer"))
        ids["token_id"] = s.scalar(select(Credential.id).where(Credential.kind == "token").limit(1))
    return {"ids": ids, "tokens": tokens}


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete", "head"}:
                ops.append((method, path, op))
    assert len(ops) > 60
    return ops


def _url(path: str, ids: dict[str, Any]) -> str:
    def fill(m: re.Match[str]) -> str:
        assert m[1] in ids, f"the walk has no value for path parameter {m[1]!r}: seed one in _seed()"
        return str(ids[m[1]])

    url = re.sub(r"\{(\w+)\}", fill, path)
    if path == "/api/versions/compare":
        url += f"?a={ids['version_id']}&b={ids['version_id']}"
    return url


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> int:
    if method == "get" and url.endswith("/jobs-stream"):
        return -1  # an endless stream: checked on its own below
    kwargs: dict[str, Any] = {} if method in SAFE or method == "delete" else {"json": {}}
    return client.request(method.upper(), url, headers=headers, **kwargs).status_code


def test_every_operation_checks_access(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    seeded = _seed(session_factory, client)
    ids, tokens = seeded["ids"], seeded["tokens"]
    anon = {"Authorization": ""}
    who = {name: bearer(t) for name, t in tokens.items()}
    failures: list[str] = []
    ops = _operations(client)

    unsecured = {op["operationId"] for _, _, op in ops if not op.get("security")}
    assert unsecured == PUBLIC, "operations without a security requirement must be exactly the public ones"

    owner_only, admin_only = [], []
    for method, path, op in ops:
        op_id = op["operationId"]
        if op_id in PUBLIC:
            continue
        url = _url(path, ids)
        if method in SAFE and op_id != "streamJobs":
            admin_status = _call(client, method, url, {})
        status = _call(client, method, url, anon)
        if status not in (-1, 401):
            failures.append(f"anonymous {method.upper()} {path}: {status}, not 401")
        if op_id in SELF_OR_SITE:
            continue
        # Everything below names a project (directly or through a version, sample, job...).
        if (status := _call(client, method, url, who["stranger"])) not in (-1, 404):
            failures.append(f"non-member {method.upper()} {path}: {status}, not 404")
        viewer = _call(client, method, url, who["viewer"])
        if method in SAFE:
            if viewer not in (-1, admin_status):
                failures.append(f"viewer {method.upper()} {path}: {viewer}, an administrator got {admin_status}")
            continue
        if viewer != 403:
            failures.append(f"viewer {method.upper()} {path}: {viewer}, not 403")
        if op.get("x-admin-only"):  # reading a path on the server: no project role is enough
            admin_only.append((method, path, url))
            continue
        if op.get("x-role") == "owner":
            owner_only.append((method, path, url))
            continue
        if (status := _call(client, method, url, who["editor"])) in (401, 403):
            failures.append(f"editor {method.upper()} {path}: {status}")
    assert owner_only, "the schema marks the owner-only operations with x-role: owner"
    assert admin_only, "the schema marks the administrator-only operations with x-admin-only"
    for method, path, url in admin_only:
        for role in ("editor", "owner"):
            if (status := _call(client, method, url, who[role])) != 403:
                failures.append(f"{role} {method.upper()} {path}: {status}, not 403 (administrators only)")
    for method, path, url in sorted(owner_only, key=lambda o: o[0] == "delete" and "members" not in o[1]):
        if (status := _call(client, method, url, who["editor"])) != 403:
            failures.append(f"editor {method.upper()} {path}: {status}, not 403 (owner only)")
        if (status := _call(client, method, url, who["owner"])) in (401, 403, 404):
            failures.append(f"owner {method.upper()} {path}: {status}")
    assert not failures, "\n".join(failures)


def test_lists_show_only_members_projects(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    seeded = _seed(session_factory, client)
    pid = seeded["ids"]["project_id"]
    stranger, viewer = bearer(seeded["tokens"]["stranger"]), bearer(seeded["tokens"]["viewer"])
    assert [p["id"] for p in client.get("/api/projects", headers=viewer).json()] == [pid]
    assert client.get("/api/projects", headers=stranger).json() == []
    assert client.get("/api/jobs", headers=stranger).json() == []
    jobs = [j["id"] for j in client.get("/api/jobs", headers=viewer).json()]
    assert seeded["ids"]["job_id"] in jobs and jobs == [j["id"] for j in client.get("/api/jobs").json()]
    assert client.get(f"/api/jobs?project_id={pid}", headers=stranger).status_code == 404
    # A project a user creates is theirs to own.
    r = client.post("/api/projects", json={"name": "mine"}, headers=stranger)
    assert r.status_code == 201
    members = client.get(f"/api/projects/{r.json()['id']}/members", headers=stranger).json()
    assert [(m["username"], m["role"]) for m in members] == [("stranger", "owner")]


def test_password_session_and_csrf(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        accounts.create_user(s, "ann", "correct horse battery")
        s.commit()
    browser = TestClient(client.app)  # no token: a browser with cookies only
    assert browser.post("/api/auth/login", json={"username": "ann", "password": "wrong password"}).status_code == 401
    assert browser.post("/api/auth/login", json={"username": "nobody", "password": "whatever1"}).status_code == 401
    r = browser.post("/api/auth/login", json={"username": "ann", "password": "correct horse battery"})
    assert r.status_code == 200 and r.json()["username"] == "ann"
    cookie = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("lensboard_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    csrf = browser.cookies["lensboard_csrf"]
    assert csrf == r.json()["csrf_token"]
    assert browser.get("/api/auth/me").json()["username"] == "ann"
    # A state-changing request on the cookie alone is refused; with the CSRF header it goes through.
    assert browser.post("/api/projects", json={"name": "p1"}).status_code == 403
    assert browser.post("/api/projects", json={"name": "p1"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert browser.post("/api/projects", json={"name": "p1"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    # Only a hash of the session secret is stored.
    secret = browser.cookies["lensboard_session"]
    with session_factory() as s:
        assert s.scalar(select(Credential.id).where(Credential.token_hash == secret)) is None
    assert browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    browser.cookies.set("lensboard_session", secret)  # a stolen cookie after logout is worthless
    assert browser.get("/api/auth/me").status_code == 401


def test_tokens_are_hashed_and_revocable(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    first = user_token(session_factory, "bob")
    r = client.post("/api/auth/tokens", json={"name": "ci"}, headers=bearer(first))
    assert r.status_code == 201
    token, token_id = r.json()["token"], r.json()["id"]
    with session_factory() as s:
        assert s.scalar(select(Credential.id).where(Credential.token_hash == token)) is None
    assert client.get("/api/auth/me", headers=bearer(token)).json()["username"] == "bob"
    listed = client.get("/api/auth/tokens", headers=bearer(token)).json()
    assert {t["name"] for t in listed} == {"test", "ci"} and all("token" not in t for t in listed)
    # Someone else cannot revoke it (404: not theirs); its owner can.
    other = user_token(session_factory, "carl")
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(other)).status_code == 404
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(first)).status_code == 204
    r = client.get("/api/auth/me", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_one_time_link_signs_in_once(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        secret = accounts.local_admin_link(s)
    browser = TestClient(client.app)
    r = browser.get(f"/api/auth/link?token={secret}&next=//evil.example", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert browser.get("/api/auth/me").json()["username"] == "admin"
    again = TestClient(client.app)
    assert again.get(f"/api/auth/link?token={secret}", follow_redirects=False).status_code == 401


def test_members_roles_and_last_owner(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    owner = bearer(user_token(session_factory, "olga"))
    user_token(session_factory, "dan")
    pid = client.post("/api/projects", json={"name": "team"}, headers=owner).json()["id"]
    r = client.post(f"/api/projects/{pid}/members", json={"username": "dan", "role": "viewer"}, headers=owner)
    assert r.status_code == 201
    dan_id = r.json()["user_id"]
    assert client.post(f"/api/projects/{pid}/members", json={"username": "nobody", "role": "viewer"},
                       headers=owner).status_code == 404
    assert client.post(f"/api/projects/{pid}/members", json={"username": "dan", "role": "nope"},
                       headers=owner).status_code == 422
    olga_id = next(m["user_id"] for m in client.get(f"/api/projects/{pid}/members", headers=owner).json()
                   if m["username"] == "olga")
    assert client.delete(f"/api/projects/{pid}/members/{olga_id}", headers=owner).status_code == 409
    assert client.patch(f"/api/projects/{pid}/members/{dan_id}", json={"role": "owner"},
                        headers=owner).status_code == 200
    assert client.delete(f"/api/projects/{pid}/members/{olga_id}", headers=owner).status_code == 204
    assert client.get(f"/api/projects/{pid}", headers=owner).status_code == 404


def test_admin_only_user_management(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    plain = bearer(user_token(session_factory, "eve"))
    assert client.post("/api/users", json={"username": "mallory", "password": "password123"},
                       headers=plain).status_code == 403
    r = client.post("/api/users", json={"username": "frank", "password": "password123"})
    assert r.status_code == 201 and not r.json()["is_admin"]
    assert client.post("/api/users", json={"username": "FRANK", "password": "password123"}).status_code == 409
    with session_factory() as s:
        user = s.scalar(select(User).where(User.username == "frank"))
        assert user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("secret", ["", "lbt_" + "x" * 43, "x" * 500])
def test_bad_tokens_are_401(client: TestClient, secret: str) -> None:
    r = client.get("/api/projects", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and r.json()["detail"]
