"""Reaching the real services. Under CI=true a missing service fails the test instead of skipping it."""

from __future__ import annotations

import os
import socket

import pytest

PG_ADMIN_URL = os.environ.get(
    "LENSBOARD_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("LENSBOARD_TEST_REDIS", "redis://127.0.0.1:6379/0")
SHARED_ARCHIVE = os.environ.get(
    "LENSBOARD_IMDB_ARCHIVE",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "aclImdb_v1_labeled.tar.gz"),
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} is required under CI=true but is not reachable")
    pytest.skip(f"{what} not reachable")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    if not port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL on 127.0.0.1:5432")
    return PG_ADMIN_URL


def require_redis() -> str:
    if not port_open("127.0.0.1", 6379):
        unavailable("Redis on 127.0.0.1:6379")
    return REDIS_URL


def require_archive() -> str:
    path = os.path.abspath(SHARED_ARCHIVE)
    if not os.path.exists(path):
        unavailable(f"the shared IMDB archive at {path}")
    return path


def require_moto() -> None:
    """moto's S3 server (the dev extra's moto[server]) stands in for MinIO or AWS in the S3 store's tests."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        unavailable("moto[server] (pip install -e '.[dev]')")
