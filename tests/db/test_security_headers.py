"""Security headers on every response (dashboard, API, docs, errors), /docs served from the app under the
same policy, and hostile paths answered 4xx JSON, never a bare 500 (SQLite, PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.app import create_app
from backend.core.settings import get_settings
from tests.support.accounts import admin_token, bearer

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def dashboard(session_factory: sessionmaker[Session], tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app serving a built dashboard (a stand-in for frontend/dist, with an asset)."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script type="module" src="/assets/app.js"></script>')
    (dist / "assets" / "app.js").write_text("console.log('lensboard')")
    monkeypatch.setenv("LENSBOARD_FRONTEND_DIST", str(dist))
    get_settings.cache_clear()
    with TestClient(create_app(session_factory), headers=bearer(admin_token(session_factory)),
                    raise_server_exceptions=False) as c:
        yield c
    get_settings.cache_clear()


def _policy(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_every_response_carries_the_headers(dashboard: TestClient) -> None:
    responses = {
        "dashboard": dashboard.get("/"),
        "client route": dashboard.get("/projects/1/dashboard"),
        "asset": dashboard.get("/assets/app.js"),
        "api": dashboard.get("/api/projects"),
        "public api": dashboard.get("/api/health", headers={"Authorization": ""}),
        "401": dashboard.get("/api/projects", headers={"Authorization": ""}),
        "404": dashboard.get("/api/projects/999999"),
        "422": dashboard.post("/api/projects", json={"name": ""}),
        "docs": dashboard.get("/docs"),
        "openapi": dashboard.get("/openapi.json"),
    }
    dashboard_pages = {"dashboard", "client route", "asset"}
    for what, r in responses.items():
        for name, value in EXPECTED.items():
            assert r.headers.get(name) == value, (what, name, r.headers.get(name))
        policy = _policy(r.headers["content-security-policy"])
        # No inline script and no other origin anywhere; eval only where the map's WebGL layer needs it.
        expected_scripts = ["'self'", "'unsafe-eval'"] if what in dashboard_pages else ["'self'"]
        assert policy["script-src"] == expected_scripts, (what, policy["script-src"])
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"], what
        assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'self'"], what
        assert policy["img-src"] == ["'self'", "data:", "blob:"], what
        assert policy["style-src"] == ["'self'"], what
    assert responses["dashboard"].text.startswith("<!doctype html>")


def test_docs_are_served_from_the_app_without_inline_script(dashboard: TestClient) -> None:
    page = dashboard.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts), scripts
    # Every file the page loads comes from this app: no CDN.
    assert not re.search(r"https?://", page.text)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        if url.startswith("data:"):
            continue
        assert url.startswith("/"), url
        r = dashboard.get(url)
        assert r.status_code == 200 and len(r.content) > 100, url
    init = dashboard.get("/docs/init.js")
    assert init.headers["content-type"].startswith("text/javascript")
    assert 'url: "/openapi.json"' in init.text and "X-CSRF-Token" in init.text
    assert dashboard.get("/redoc").text.startswith("<!doctype html>")  # no CDN-loading ReDoc page: the dashboard


@pytest.mark.parametrize("path", ["/x%00y", "/%00", "/projects/1%00/dashboard", "/assets/app%00.js",
                                  "/api/x%00y", "/api/projects/1%00", "/api/versions/1%00/checkpoint",
                                  "/docs/assets/x%00y", "/x%0Ay", "/x%1By"])
def test_control_characters_in_paths_are_422_json(dashboard: TestClient, path: str) -> None:
    r = dashboard.get(path)
    assert r.status_code == 422, (path, r.status_code, r.text)
    assert r.json() == {"detail": "the path contains a control character (such as %00)"}
    assert r.headers["x-content-type-options"] == "nosniff"


def test_overlong_file_names_are_not_server_errors(dashboard: TestClient) -> None:
    r = dashboard.get("/" + "a" * 5000)  # the file system refuses the name: it is no file, so the dashboard
    assert r.status_code == 200 and r.text.startswith("<!doctype html>")
    for path in ("/assets/" + "a" * 5000, "/docs/assets/" + "a" * 5000, "/api/" + "a" * 5000):
        assert dashboard.get(path).status_code == 404, path
