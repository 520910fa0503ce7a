"""PostgreSQL becomes unreachable under a running API, then comes back: 503 with a message, then 200.

PostgreSQL only: the test cuts off one dedicated database (ALLOW_CONNECTIONS false and its sessions
terminated), never the server that other tests share. SQLite has no server to lose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.api.app import create_app
from backend.core.db.session import make_engine, make_session_factory
from tests.conftest import reset_caches
from tests.support.accounts import admin_token, bearer
from tests.support.databases import PostgresDatabases
from tests.support.worker_process import lensboard_env


@pytest.fixture
def pg_client(postgres_dbs: PostgresDatabases, data_dir: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    url = postgres_dbs.fresh()
    for k, v in lensboard_env(url, f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir).items():
        if k.startswith(("LENSBOARD_", "DATABASE_URL", "CELERY_BROKER_URL")):
            monkeypatch.setenv(k, v)
    reset_caches()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with TestClient(create_app(factory), headers=bearer(admin_token(factory))) as client:
        yield client, str(make_url(url).database)
    engine.dispose()
    reset_caches()


def test_database_down_gives_503_then_recovers(pg_client: tuple[TestClient, str],
                                               postgres_dbs: PostgresDatabases) -> None:
    client, name = pg_client
    assert client.post("/api/projects", json={"name": "before"}).status_code == 201
    assert client.get("/api/projects").status_code == 200  # the pool now holds a live connection

    admin = create_engine(postgres_dbs.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                      {"d": name})
        for path in ("/api/projects", "/api/projects/1"):
            down = client.get(path)
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "5"
            detail = down.json()["detail"]
            assert detail.startswith("the database is unavailable: ") and "Traceback" not in detail
        write = client.post("/api/projects", json={"name": "during"})
        assert write.status_code == 503 and write.json()["detail"].startswith("the database is unavailable")
        # Liveness stays up; readiness says what is down.
        assert client.get("/api/health").status_code == 200
        ready = client.get("/api/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("down: ")
    finally:
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    back = client.get("/api/projects")
    assert back.status_code == 200 and [p["name"] for p in back.json()] == ["before"]
    assert client.post("/api/projects", json={"name": "after"}).status_code == 201
