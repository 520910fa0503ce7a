"""Shared fixtures: fresh migrated databases (SQLite and PostgreSQL), the API, real workers, IMDB data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.session import make_engine, make_session_factory
from tests.support.accounts import admin_token, bearer
from tests.support.databases import PostgresDatabases, SqliteDatabases
from tests.support.imdb_subset import build_subset
from tests.support.s3 import S3Bucket, moto_server, new_bucket
from tests.support.services import require_archive, require_postgres, require_redis
from tests.support.worker_process import NUMBA_CACHE, WorkerProcess, lensboard_env
from worker.pipeline import jit_cache

jit_cache.configure(NUMBA_CACHE)  # before anything in this process imports numba


def reset_caches() -> None:
    """Settings, engines and the Celery app are cached per process; tests change the environment."""
    from backend.api.services.dataset_rows import dataset_rows
    from backend.api.services.epoch_table import epoch_tables
    from backend.core.db import session as db_session
    from backend.core.jobs.app import get_celery
    from backend.core.settings import get_settings

    get_settings.cache_clear()
    db_session.default_engine.cache_clear()
    db_session.default_session_factory.cache_clear()
    get_celery.cache_clear()
    dataset_rows.clear()  # waits for the rows files being written: their database may go next
    epoch_tables.clear()


@pytest.fixture(scope="session")
def sqlite_dbs(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    dbs = SqliteDatabases(tmp_path_factory.mktemp("sqlite"))
    dbs.create_template()
    return dbs


@pytest.fixture(scope="session")
def postgres_dbs() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases(require_postgres())
    dbs.create_template()
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database: every test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_dbs").fresh())
    return str(request.getfixturevalue("postgres_dbs").fresh())


@pytest.fixture
def pg_url(postgres_dbs: PostgresDatabases) -> str:
    return postgres_dbs.fresh()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "lensboard"
    d.mkdir()
    return d


@pytest.fixture
def env(db_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Point this process's settings at the test database and data folder (embedded broker file)."""
    values = lensboard_env(db_url, f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir)
    for k, v in values.items():
        if k.startswith(("LENSBOARD_", "DATABASE_URL", "CELERY_BROKER_URL")):
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("LENSBOARD_IMPORT_ROOTS", f'["{data_dir}", "/tmp", "{Path(require_archive_dir())}"]')
    reset_caches()
    yield values
    reset_caches()


def require_archive_dir() -> str:
    return str(Path(require_archive()).parent)


@pytest.fixture
def session_factory(env: dict[str, str]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(env["DATABASE_URL"])
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    from backend.api.app import create_app

    # Signed in as a site administrator, so that tests about other things need no membership set-up;
    # access itself is tested with ordinary users (tests/db/test_access.py).
    with TestClient(create_app(session_factory), headers=bearer(admin_token(session_factory))) as c:
        yield c


@pytest.fixture
def project_id(client: TestClient) -> int:
    """A fresh project, owned by the administrator `client` signs in as."""
    r = client.post("/api/projects", json={"name": "demo"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture(scope="session")
def imdb_archive() -> str:
    return require_archive()


@pytest.fixture(scope="session")
def imdb_subset(imdb_archive: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 2,000 reviews: 500 per (split, class), seeded, in Stanford's layout."""
    return build_subset(imdb_archive, tmp_path_factory.mktemp("imdb2k"), per_class=500, seed=0)


@pytest.fixture
def redis_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Like `env`, with the Redis broker instead of the embedded one."""
    url = require_redis()
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    reset_caches()
    return {**env, "CELERY_BROKER_URL": url}


def _start_worker(values: dict[str, str], data_dir: Path) -> WorkerProcess:
    w = WorkerProcess(values, data_dir / f"worker-{uuid.uuid4().hex[:6]}.log")
    w.start()
    return w


@pytest.fixture
def embedded_worker(env: dict[str, str], data_dir: Path) -> Iterator[WorkerProcess]:
    """A real worker process on the embedded (SQLAlchemy) broker."""
    w = _start_worker(env, data_dir)
    yield w
    w.stop()


@pytest.fixture
def redis_worker(redis_env: dict[str, str], data_dir: Path) -> Iterator[WorkerProcess]:
    """A real worker process on Redis."""
    w = _start_worker(redis_env, data_dir)
    yield w
    w.stop()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on a loopback port, for the S3 artifact store."""
    yield from moto_server()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> S3Bucket:
    """A fresh, empty bucket on that server."""
    return new_bucket(s3_endpoint)
