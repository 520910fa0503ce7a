"""Access control, walked over every operation of the OpenAPI schema (the routes are enumerated, never
listed by hand): anonymous callers get 401, non-members 404 (as for an id that does not exist), viewers
403 on anything that changes state, editors 403 on what only owners may do; and each allowed caller gets
exactly the answer an administrator gets. Then the walk again with every id spelled every other way
(`1.0`, `01`, `+1`, `1e0`, full-width digits...; in the path, the query and the body), which nobody
gets past; the exploit of issue 16 as plain requests; ids in bodies that belong to another project.

Plus the pieces the walk relies on: passwords, sessions with CSRF, one-time links, tokens and members.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.ids import is_id_name
from backend.core.artifacts import get_store
from backend.core.auth import accounts
from backend.core.db.models import (
    Analysis,
    Credential,
    Dataset,
    Flag,
    FlagEvent,
    Job,
    MapConfig,
    ModelVersion,
    Project,
    ProjectMember,
    Sample,
    Sweep,
    User,
)
from backend.core.settings import get_settings
from tests.support.accounts import add_member, bearer, user_token
from tests.support.datasets import synthetic_reviews
from tests.support.versions import trained_version, version_with_results

# Operations anyone may call. Everything else must declare (and enforce) a signed-in caller.
PUBLIC = {"health", "ready", "login", "useLoginLink"}
# Operations about the caller themself or the site, not about a project's data.
SELF_OR_SITE = {"getMe", "logout", "changePassword", "listTokens", "createToken", "revokeToken", "listUsers",
                "createUser", "listProjects", "createProject", "listJobs", "streamJobs", "listArchitectures",
                "listAnalysisMethods", "listSessions", "revokeSession"}
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
        ids["session_id"] = ids["token_id"]  # not a session: the walk only checks who may call
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


# -- ids spelled every other way ---------------------------------------------------------------------
# How the walk below spells an id `n` in a URL (path segment or query value), as raw URL text: each is
# something a lenient parser (int(), float(), pydantic's lax int) reads as `n` or as another number, and
# none is an id. `+` and spaces are percent-encoded, as a query string needs them.
URL_SPELLINGS: dict[str, Callable[[int], str]] = {
    "n.0": lambda n: f"{n}.0",
    "n%2E0": lambda n: f"{n}%2E0",
    "0n": lambda n: f"0{n}",
    "+n": lambda n: f"%2B{n}",
    "space n": lambda n: f"%20{n}",
    "n space": lambda n: f"{n}%20",
    "n newline": lambda n: f"{n}%0A",
    "ne0": lambda n: f"{n}e0",
    "hex": lambda n: f"0x{n:x}",
    "n_0": lambda n: f"{n}_0",
    "-n": lambda n: f"-{n}",
    "zero": lambda n: "0",
    "fullwidth digits": lambda n: quote(str(n).translate({ord("0") + d: 0xFF10 + d for d in range(10)})),
    "arabic-indic digits": lambda n: quote(str(n).translate({ord("0") + d: 0x0660 + d for d in range(10)})),
    "past int64": lambda n: str(2**63 + n),
}
# The same for an id in a JSON body (a list of ids gets a list of one).
JSON_SPELLINGS: dict[str, Callable[[int], Any]] = {
    "float": lambda n: float(n), "string": str, "string n.0": lambda n: f"{n}.0", "true": lambda n: True,
    "negative": lambda n: -n, "zero": lambda n: 0, "past int64": lambda n: 2**63 + n, "fraction": lambda n: n + 0.5,
    "fullwidth string": lambda n: str(n).translate({ord("0") + d: 0xFF10 + d for d in range(10)}),
}
ROLES = ("anonymous", "stranger", "viewer", "editor", "owner")


def _id_value(ids: dict[str, Any], name: str) -> int:
    return int(ids["version_id" if name in ("a", "b") else name.removesuffix("s")])


def _id_params(op: dict[str, Any], schemas: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, name) of every numeric id the operation takes: path and query parameters, JSON body fields."""
    found = [(p["in"], p["name"]) for p in op.get("parameters", [])
             if (is_id_name(p["name"]) or p["name"] in ("a", "b")) and p["name"] != "batch_id"]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref") or next((x["$ref"] for x in body.get("anyOf", []) if "$ref" in x), None)
    if ref is not None:
        found += [("body", name) for name in schemas[ref.rsplit("/", 1)[1]].get("properties", {}) if is_id_name(name)]
    return found


def _spelled_request(method: str, path: str, op: dict[str, Any], ids: dict[str, Any], where: str, name: str,
                     spelled: Any) -> tuple[str, str, Any]:
    """(method, URL, JSON body) of the operation with every id canonical but `name`, spelled."""
    url = re.sub(r"\{(\w+)\}", lambda m: str(spelled if (where, m[1]) == ("path", name) else ids[m[1]]), path)
    query = {p["name"]: str(_id_value(ids, p["name"])) for p in op.get("parameters", [])
             if p["in"] == "query" and p.get("required")}
    if where == "query":
        query[name] = spelled
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())  # values are URL text already
    body = None if method in SAFE or method == "delete" else {}
    if where == "body":
        body = {name: [spelled] if name.endswith("_ids") else spelled}
    return method, url, body


async def _statuses(app: Any, calls: list[tuple[str, str, dict[str, str], Any]]) -> list[int]:
    """The status of each (method, URL, headers, JSON body), a few at a time. A call must be answered at once:
    the job stream, once it starts, never ends, so a stream that started fails the walk (timeout)."""
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        async def one(method: str, url: str, headers: dict[str, str], body: Any) -> int:
            async with limit:
                kwargs: dict[str, Any] = {} if body is None else {"json": body}
                request = api.request(method.upper(), url, headers=headers, **kwargs)
                return (await asyncio.wait_for(request, timeout=30)).status_code

        return list(await asyncio.gather(*(one(*call) for call in calls)))


def _state(factory: sessionmaker[Session]) -> dict[str, Any]:
    """What a request that got through could have changed."""
    with factory() as s:
        counts = {m.__name__: s.scalar(select(func.count()).select_from(m))
                  for m in (Project, ProjectMember, ModelVersion, Dataset, Job, Flag, FlagEvent, Sweep, MapConfig)}
        roles = sorted(s.execute(select(ProjectMember.project_id, ProjectMember.user_id, ProjectMember.role)).all())
        revoked = s.scalar(select(func.count()).select_from(Credential).where(Credential.revoked_at.is_not(None)))
        projects = sorted(s.execute(select(Project.id, Project.name, Project.description)).all())
    return {"counts": counts, "roles": roles, "revoked": revoked, "projects": projects}


@pytest.fixture
def no_rate_limits(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the walk reaches the guard instead of stopping at a 429 (test_rate_limits.py); the
    walk sends its requests at once, so the owner's heavy downloads would also be over their in-flight
    limit (test_downloads_api.py)."""
    for kind in ("ANALYZE", "TRAIN", "COMPUTE"):
        monkeypatch.setenv(f"LENSBOARD_RATE_LIMIT_{kind}_PER_MINUTE", "0")
    monkeypatch.setenv("LENSBOARD_MAX_DOWNLOADS_PER_USER", "0")
    get_settings.cache_clear()


def test_no_spelling_of_an_id_gets_past_the_guard(client: TestClient, session_factory: sessionmaker[Session],
                                                  no_rate_limits: None) -> None:
    """Every operation again, with each id (path, query, body) spelled every other way, for every role:
    nobody gets a 2xx, a signed-in caller gets a 4xx (the owner, who may do everything: 422 or 404), and
    nothing changes."""
    seeded = _seed(session_factory, client)
    ids, tokens = seeded["ids"], seeded["tokens"]
    who = {"anonymous": {"Authorization": ""}, **{name: bearer(t) for name, t in tokens.items()}}
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    before = _state(session_factory)
    operations, params = set(), 0
    calls: list[tuple[str, str, dict[str, str], Any]] = []
    described: list[tuple[str, bool, str]] = []  # (role, a control character in the path?, what), beside each call
    for method, path, op in _operations(client):
        for where, name in _id_params(op, schemas):
            operations.add(op["operationId"])
            params += 1
            spellings = JSON_SPELLINGS if where == "body" else URL_SPELLINGS
            for label, spell in spellings.items():
                method_, url, body = _spelled_request(method, path, op, ids, where, name, spell(_id_value(ids, name)))
                control_in_path = where == "path" and label == "n newline"
                what = f"{method.upper()} {path} with {where} {name} spelled {label!r} ({url})"
                for role in ROLES:
                    calls.append((method_, url, who[role], body))
                    described.append((role, control_in_path, what))
    statuses = asyncio.run(_statuses(client.app, calls))
    failures = []
    for (role, control_in_path, what), status in zip(described, statuses, strict=True):
        allowed = {401} if role == "anonymous" else {404, 422} if role == "owner" else {403, 404, 422}
        if role == "anonymous" and control_in_path:
            allowed = {422}  # a control character in the path is refused before any route or credential check
        if status not in allowed:
            failures.append(f"{role} {what}: {status}")
    let_through = sum(200 <= status < 300 for status in statuses)
    print(f"\naccess walk with spelled ids: {len(operations)} operations, {params} id parameters "
          f"({len(URL_SPELLINGS)} spellings in a URL, {len(JSON_SPELLINGS)} in a body) x {len(ROLES)} roles = "
          f"{len(calls)} requests; 2xx: {let_through}; 5xx: {sum(status >= 500 for status in statuses)}")
    assert params > 80
    assert not failures, f"{len(failures)} requests got past the guard or failed:\n" + "\n".join(failures[:80])
    assert let_through == 0
    assert _state(session_factory) == before


def test_the_id_spelling_exploit_is_closed(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """The outside review's requests (issue 16), as a stranger and a viewer sent them: each is refused
    before the route runs, and nothing changes."""
    seeded = _seed(session_factory, client)
    ids, tokens = seeded["ids"], seeded["tokens"]
    pid, vid, viewer_id = ids["project_id"], ids["version_id"], ids["user_id"]
    stranger, viewer, owner = (bearer(tokens[n]) for n in ("stranger", "viewer", "owner"))
    before = _state(session_factory)
    # Plain ids: the stranger is refused as before.
    assert client.get(f"/api/versions/{vid}", headers=stranger).status_code == 404
    for url in (f"/api/versions/{vid}.0", f"/api/versions/{vid}%2E0", f"/api/versions/{vid}.0/samples",
                f"/api/versions/{vid}%2E0/checkpoint", f"/api/versions/compare?a={vid}.0&b={vid}.0",
                f"/api/projects/{pid}.0/members", f"/api/projects/{pid}.0/flags/export"):
        r = client.get(url, headers=stranger)
        assert r.status_code == 422 and "not an id" in r.json()["detail"], (url, r.status_code, r.text)
    r = client.delete(f"/api/projects/{pid}.0", headers=stranger)
    assert r.status_code == 422
    r = client.post(f"/api/projects/{pid}.0/members", json={"username": "stranger", "role": "owner"}, headers=stranger)
    assert r.status_code == 422
    r = client.patch(f"/api/projects/{pid}.0", json={"description": "mine now"}, headers=stranger)
    assert r.status_code == 422
    r = client.put(f"/api/projects/{pid}.0/flags/{ids['sample_id']}", json={}, headers=stranger)
    assert r.status_code == 422
    r = client.patch(f"/api/projects/{pid}.0/members/{viewer_id}", json={"role": "owner"}, headers=viewer)
    assert r.status_code == 422
    r = client.patch(f"/api/projects/{pid}/members/{viewer_id}.0", json={"role": "owner"}, headers=viewer)
    assert r.status_code == 403  # the project is checked first: a viewer changes no member, however spelled
    # The owner's own grant on the samples page does not make another spelling of the id servable.
    assert client.get(f"/api/versions/{vid}/samples", headers=owner).status_code == 200
    assert client.get(f"/api/versions/{vid}.0/samples", headers=owner).status_code == 422
    assert client.get(f"/api/versions/0{vid}/samples", headers=owner).status_code == 422
    assert _state(session_factory) == before


def test_body_ids_must_be_of_the_routes_project(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """An id in a body names a row of the project the route was authorized for, or nothing is written."""
    seeded = _seed(session_factory, client)
    ids, owner = seeded["ids"], bearer(seeded["tokens"]["owner"])
    pid, vid = ids["project_id"], ids["version_id"]
    other_version, _ = version_with_results(session_factory, with_metrics=False)
    with session_factory() as s:
        other = s.get_one(ModelVersion, other_version)
        foreign_sample = s.scalars(select(Sample.id).where(Sample.dataset_id == other.dataset_id).limit(1)).one()
        foreign_dataset = other.dataset_id
    before = _state(session_factory)
    calls = [
        ("post", f"/api/projects/{pid}/flags/bulk", {"sample_ids": [ids["sample_id"], foreign_sample]}),
        ("post", f"/api/projects/{pid}/versions", {"dataset_id": foreign_dataset}),
        ("post", f"/api/projects/{pid}/sweeps", {"dataset_id": foreign_dataset, "space": {"seed": [1, 2]}}),
        ("post", f"/api/versions/{vid}/analyses", {"sample_id": foreign_sample}),
        ("post", f"/api/versions/{vid}/analyses/batch", {"sample_ids": [foreign_sample]}),
    ]
    for method, url, body in calls:
        r = client.request(method.upper(), url, json=body, headers=owner)
        foreign = foreign_dataset if "dataset_id" in body else foreign_sample
        assert r.status_code == 404 and r.json()["detail"].endswith(f" {foreign} not found"), (url, r.text)
    # A foreign id in the query of a project route is the same 404.
    assert client.get(f"/api/projects/{pid}/cleaned-dataset?dataset_id={foreign_dataset}",
                      headers=owner).status_code == 404
    assert client.get(f"/api/projects/{pid}/flags/{foreign_sample}", headers=owner).status_code == 404
    assert _state(session_factory) == before
    # The same bodies with the project's own ids get through the guard.
    r = client.post(f"/api/projects/{pid}/flags/bulk", json={"sample_ids": [ids["sample_id"]]}, headers=owner)
    assert r.status_code == 200 and r.json()["changed"] == 1


def test_a_job_of_no_project_is_for_administrators(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        job = Job(kind="import", project_id=None, state="SUCCESS")
        s.add(job)
        s.commit()
        job_id = job.id
    someone = bearer(user_token(session_factory, "someone"))
    assert client.get(f"/api/jobs/{job_id}").json()["id"] == job_id  # the client is an administrator
    assert client.get(f"/api/jobs/{job_id}", headers=someone).status_code == 404
    assert client.get(f"/api/jobs/{job_id}.0").status_code == 422
