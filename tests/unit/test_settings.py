"""Settings: embedded defaults, distributed mode from env vars alone, and clear errors on bad values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.core.settings import Settings

ENV_VARS = ("DATABASE_URL", "CELERY_BROKER_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    import os

    for key in list(os.environ):
        if key.startswith("LENSBOARD_") or key in ENV_VARS:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    yield monkeypatch


def load() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_embedded_defaults(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = load()
    assert s.embedded
    assert s.data_dir == (tmp_path / ".lensboard").resolve()
    assert s.db_url == f"sqlite:///{s.data_dir / 'lensboard.sqlite'}"
    assert s.celery_broker == f"sqla+sqlite:///{s.data_dir / 'broker.sqlite'}"
    assert s.artifacts == str(s.data_dir / "artifacts")
    assert (s.host, s.port, s.secret_key) == ("127.0.0.1", 8000, None)
    assert s.allowed_import_roots == [s.data_dir / "imports"]  # not the data folder, nor the working directory


def test_data_dir_is_configurable(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("LENSBOARD_DATA_DIR", str(tmp_path / "elsewhere"))
    s = load()
    assert s.db_url == f"sqlite:///{tmp_path / 'elsewhere' / 'lensboard.sqlite'}"
    assert s.artifacts == str(tmp_path / "elsewhere" / "artifacts")


def test_distributed_mode_from_env_vars(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://lb:pw@db:5432/lensboard")
    clean_env.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    clean_env.setenv("LENSBOARD_ARTIFACT_ROOT", "/mnt/artifacts")
    s = load()
    assert not s.embedded
    assert (s.db_url, s.celery_broker, s.artifacts) == (
        "postgresql+psycopg://lb:pw@db:5432/lensboard", "redis://redis:6379/0", "/mnt/artifacts")


def test_postgresql_scheme_is_normalised_to_psycopg3(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://lb@db/lensboard")
    assert load().db_url == "postgresql+psycopg://lb@db/lensboard"


@pytest.mark.parametrize(("var", "value", "message"), [
    ("DATABASE_URL", "mysql://db/lensboard", "DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL"),
    ("DATABASE_URL", "lensboard.sqlite", "DATABASE_URL must be"),
    ("CELERY_BROKER_URL", "kafka://broker:9092", "CELERY_BROKER_URL must be redis://"),
    ("CELERY_BROKER_URL", "localhost:6379", "CELERY_BROKER_URL must be"),
    ("LENSBOARD_PORT", "70000", "less than or equal to 65535"),
    ("LENSBOARD_WORKER_CONCURRENCY", "0", "greater than or equal to 1"),
    ("LENSBOARD_JOB_LEASE_SECONDS", "-5", "greater than 0"),
    ("LENSBOARD_ARTIFACT_URL", "gs://bucket/lensboard", "must be a folder, file://folder or s3://bucket[/prefix]"),
    ("LENSBOARD_ARTIFACT_URL", "s3:///lensboard", "must name a bucket"),
    ("LENSBOARD_ARTIFACT_URL", "s3://bucket/../other", "must not contain '..'"),
])
def test_bad_values_fail_fast_with_a_clear_error(
    clean_env: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    clean_env.setenv(var, value)
    with pytest.raises(ValidationError) as e:
        load()
    assert message in str(e.value)


def test_embedded_only_when_neither_database_nor_broker_is_set(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    s = load()
    assert not s.embedded and s.db_url.startswith("sqlite:///")


def test_artifact_store_url(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("LENSBOARD_ARTIFACT_ROOT", "/mnt/artifacts")  # the older name still works
    assert load().artifacts == "/mnt/artifacts"
    clean_env.setenv("LENSBOARD_ARTIFACT_URL", "file:///srv/artifacts")  # and the new one wins
    assert load().artifacts == "/srv/artifacts"
    clean_env.setenv("LENSBOARD_ARTIFACT_URL", "s3://lensboard//prod/artifacts/")
    clean_env.setenv("LENSBOARD_S3_ENDPOINT_URL", "http://minio:9000")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "key-id")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "key-secret")
    s = load()
    assert (s.artifacts, s.s3_endpoint_url) == ("s3://lensboard/prod/artifacts", "http://minio:9000")
    assert s.aws_secret_access_key is not None and s.aws_secret_access_key.get_secret_value() == "key-secret"
    assert "key-secret" not in repr(s), "the secret shows in logs"
    assert s.artifact_cache == s.data_dir / "artifact-cache"
    clean_env.setenv("LENSBOARD_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
    assert load().artifact_cache == tmp_path / "cache"
