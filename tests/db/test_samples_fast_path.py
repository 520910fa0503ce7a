"""The samples table's fast path (backend/api/samples_fast_path.py): it serves only what the route answered
for the same credential a moment ago, answers exactly as the route does, and never outlives a change of
access made through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, event
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.api.samples_fast_path import Grants
from backend.api.schemas.common import Page
from backend.api.schemas.samples import SampleRow
from backend.api.services.dataset_rows import dataset_rows
from backend.core.db.models import EpochMetric, ModelVersion, SampleResult
from tests.support.accounts import add_member, bearer, user_token
from tests.support.versions import version_with_results


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fake_clock(app: FastAPI) -> Clock:
    """Grants of 60 s on a clock the test moves, so that nothing depends on the machine's speed."""
    fake = Clock()
    grants: Grants = app.state.grants
    grants.clock, grants.ttl_s = fake, 60.0
    return fake


@pytest.fixture
def clock(client: TestClient) -> Clock:
    return fake_clock(client.app)  # type: ignore[arg-type]


def _page(client: TestClient, vid: int, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return client.get(f"/api/versions/{vid}/samples", params=params, headers=headers)


def _forget_results(factory: sessionmaker[Session], vid: int) -> None:
    """What another process might do meanwhile: the version's results are gone from the database."""
    with factory() as s:
        s.execute(delete(SampleResult).where(SampleResult.version_id == vid))
        s.execute(delete(EpochMetric).where(EpochMetric.version_id == vid))
        s.commit()


def _expected_order(rows: dict[int, dict[str, Any]]) -> list[int]:
    return sorted(rows, key=lambda i: (-rows[i]["loss"], -i))


def warm(client: TestClient, vid: int, **params: Any) -> bytes:
    """What a server meets first: the route answers from the database and starts writing the dataset's rows
    file; once it is written, the route's next answer reads the epoch's table. Returns that answer."""
    first = _page(client, vid, **params)
    assert first.status_code == 200
    dataset_rows.wait()
    # Still through the route: the grant's epoch has no table yet. The answer is the same, now from the table.
    second = _page(client, vid, **params)
    assert second.content == first.content
    return second.content


def test_any_page_is_served_from_memory_once_the_route_answered_until_its_grant_expires(
        client: TestClient, session_factory: sessionmaker[Session], clock: Clock) -> None:
    vid, rows = version_with_results(session_factory, with_metrics=True)
    first = warm(client, vid, offset=10, limit=20)
    page = Page[SampleRow].model_validate_json(first)
    assert [r.id for r in page.items] == _expected_order(rows)[10:30]
    _forget_results(session_factory, vid)
    # The same page, and any other page of the order, come from memory: byte for byte the route's answer
    # (the database no longer has them).
    assert _page(client, vid, offset=10, limit=20).content == first
    inner = _page(client, vid, offset=15, limit=5).json()
    assert inner["items"] == page.model_dump(mode="json")["items"][5:10] and inner["total"] == page.total
    for offset, limit in ((0, 1000), (90, 30), (119, 5), (200, 10)):
        far = _page(client, vid, offset=offset, limit=limit)
        assert far.status_code == 200
        assert [r["id"] for r in far.json()["items"]] == _expected_order(rows)[offset:offset + limit]
        assert all(r["result"]["loss"] == rows[r["id"]]["loss"] for r in far.json()["items"])
    # A filter, another split's order (never read), or an explicit epoch (another grant) go to the route,
    # which looks.
    assert _page(client, vid, offset=10, limit=20, label=1).status_code == 409
    assert _page(client, vid, offset=10, limit=20, split="train").status_code == 409
    assert _page(client, vid, offset=10, limit=20, epoch=2).json()["total"] == 0  # an epoch with no results
    clock.now += 61
    assert _page(client, vid, offset=10, limit=20).status_code == 409


def test_out_of_range_parameters_are_judged_by_the_route(client: TestClient,
                                                         session_factory: sessionmaker[Session], clock: Clock) -> None:
    vid, _ = version_with_results(session_factory, with_metrics=True)
    assert _page(client, vid, limit=50).status_code == 200
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"sort": "text"}, {"order": "up"},
                {"split": "dev"}, {"epoch": 0}, {"limit": "ten"}):
        response = _page(client, vid, **bad)
        assert response.status_code == 422, bad
        assert "detail" in response.json()
    # Spellings the fast path leaves alone get the route's answer, which is the same page.
    assert _page(client, vid, limit="050").json() == _page(client, vid, limit=50).json()
    assert _page(client, vid, limit=50, unknown="x").json() == _page(client, vid, limit=50).json()


def _version_with_viewers(factory: sessionmaker[Session], *names: str) -> tuple[int, int, list[str]]:
    """(version, its project, a token for each named viewer of the project)."""
    vid, _ = version_with_results(factory, with_metrics=True)
    with factory() as s:
        project_id = s.get_one(ModelVersion, vid).project_id
    tokens = [user_token(factory, name) for name in names]
    for name in names:
        add_member(factory, project_id, name, "viewer")
    return vid, project_id, tokens


def test_a_grant_belongs_to_one_credential(client: TestClient, session_factory: sessionmaker[Session],
                                           clock: Clock) -> None:
    vid, _, (viewer,) = _version_with_viewers(session_factory, "vera")
    stranger = user_token(session_factory, "stan")
    owner_page = _page(client, vid, limit=10)
    assert owner_page.status_code == 200
    assert _page(client, vid, bearer(stranger), limit=10).status_code == 404
    assert _page(client, vid, {"Authorization": ""}, limit=10).status_code == 401
    assert _page(client, vid, bearer(stranger + "x"), limit=10).status_code == 401
    assert _page(client, vid, bearer(viewer), limit=10).content == owner_page.content


def test_changes_of_access_through_the_api_take_effect_at_once(client: TestClient,
                                                               session_factory: sessionmaker[Session],
                                                               clock: Clock) -> None:
    vid, project_id, (viewer, other) = _version_with_viewers(session_factory, "vic", "olga")
    assert _page(client, vid, bearer(viewer)).status_code == 200
    assert _page(client, vid, bearer(other)).status_code == 200
    # Olga is removed from the project; Vic revokes his own token.
    members = client.get(f"/api/projects/{project_id}/members").json()
    olga = next(m for m in members if m["username"] == "olga")
    assert client.delete(f"/api/projects/{project_id}/members/{olga['user_id']}").status_code == 204
    assert _page(client, vid, bearer(other)).status_code == 404
    token_id = client.get("/api/auth/tokens", headers=bearer(viewer)).json()[0]["id"]
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(viewer)).status_code == 204
    assert _page(client, vid, bearer(viewer)).status_code == 401


def test_under_load_one_request_renews_a_grant(session_factory: sessionmaker[Session]) -> None:
    """An ageing grant is renewed by one request while the others are still served; an expired one is
    renewed by one request while the others wait for it."""
    from tests.support.accounts import admin_token

    vid, _ = version_with_results(session_factory, with_metrics=True)
    headers = bearer(admin_token(session_factory))
    engine = session_factory.kw["bind"]
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    async def burst(api: httpx.AsyncClient, url: str) -> tuple[int, list[httpx.Response]]:
        nonlocal statements
        statements = 0
        answers = await asyncio.gather(*(api.get(url) for _ in range(20)))
        return statements, answers

    async def run() -> dict[str, tuple[int, list[httpx.Response]]]:
        nonlocal statements
        app = create_app(session_factory)
        clock = fake_clock(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as api:
            url = f"/api/versions/{vid}/samples?limit=40"
            assert (await api.get(url)).status_code == 200  # reads the order, starts the rows file
            await asyncio.to_thread(dataset_rows.wait)
            clock.now += 61
            assert (await api.get(url)).status_code == 200  # reads the epoch's table
            clock.now += 61
            statements = 0
            await api.get(url)
            out: dict[str, tuple[int, list[httpx.Response]]] = {"one route": (statements, [])}
            clock.now += 61
            out["expired"] = await burst(api, url)
            clock.now += 40  # the grant has 20 of its 60 s left
            out["ageing"] = await burst(api, url)
            clock.now += 25  # past the old grant's end, in the first half of the renewed one's life
            out["renewed"] = await burst(api, url)
            return out

    event.listen(engine, "before_cursor_execute", count)
    try:
        runs = asyncio.run(run())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    one_route = runs["one route"][0]
    assert one_route > 0
    first = runs["expired"][1][0].content
    for name in ("expired", "ageing", "renewed"):
        assert all(a.status_code == 200 and a.content == first for a in runs[name][1]), name
    assert runs["expired"][0] == one_route  # 20 requests, one trip through the route
    assert runs["ageing"][0] == one_route
    assert runs["renewed"][0] == 0  # all from memory
