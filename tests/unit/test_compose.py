"""docker-compose.yml, read by Debian's docker-compose (the real parser), and the Dockerfile it builds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"POSTGRES_PASSWORD": "pg-secret", "LENSBOARD_SECRET_KEY": "app-secret"}
LONG_RUNNING = {"postgres", "redis", "api", "worker"}


def compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        unavailable("docker-compose (Debian package docker-compose; `make test` installs it)")
    empty_env_file = tmp_path / "empty.env"  # a developer's .env must not change what is tested
    empty_env_file.write_text("")
    return subprocess.run(
        [str(exe), "--project-directory", str(ROOT), "--env-file", str(empty_env_file),
         "-f", str(ROOT / "docker-compose.yml"), "config"],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    r = compose_config(SECRETS, tmp_path_factory.mktemp("compose"))
    assert r.returncode == 0, r.stderr
    parsed: dict[str, Any] = yaml.safe_load(r.stdout)
    return parsed


def test_services(config: dict[str, Any]) -> None:
    assert set(config["services"]) >= {"postgres", "redis", "migrate", "api", "worker"}


def test_every_service_has_a_healthcheck(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    worker_check = " ".join(config["services"]["worker"]["healthcheck"]["test"])
    assert "celery -A worker.celery_app inspect ping" in worker_check
    assert "/api/ready" in " ".join(config["services"]["api"]["healthcheck"]["test"])


def test_worker_reserves_an_nvidia_gpu_and_builds_the_cuda_stage(config: dict[str, Any]) -> None:
    worker = config["services"]["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert worker["build"]["target"] == "worker"
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", (ROOT / "docker" / "Dockerfile").read_text(), re.M | re.I)
    assert {"frontend", "api", "worker"} <= set(stages)
    assert config["services"]["api"]["build"]["target"] == "api"


def test_workers_scale(config: dict[str, Any]) -> None:
    """`--scale worker=N` needs no fixed container name and no host port on the worker."""
    worker = config["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    cpu = config["services"].get("worker-cpu")
    if cpu is not None:  # the same anchor, without the GPU reservation
        assert cpu["command"] == worker["command"] and cpu["environment"] == worker["environment"]
        assert not cpu.get("deploy", {}).get("resources")


def test_start_order_waits_for_health_and_the_migration(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    for name in ("api", "worker"):
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"


def test_named_volumes_for_database_and_shared_artifacts(config: dict[str, Any]) -> None:
    assert {"pgdata", "artifacts"} <= set(config["volumes"])
    services = config["services"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    for name in ("api", "worker"):
        assert any(v.startswith("artifacts:/data/artifacts") for v in services[name]["volumes"]), name
        assert services[name]["environment"]["LENSBOARD_ARTIFACT_ROOT"] == "/data/artifacts"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_secrets_come_from_the_environment(config: dict[str, Any], tmp_path: Path) -> None:
    api = config["services"]["api"]["environment"]
    assert api["LENSBOARD_SECRET_KEY"] == "app-secret"
    assert ":pg-secret@" in api["DATABASE_URL"]
    text = (ROOT / "docker-compose.yml").read_text()
    assert "pg-secret" not in text and "app-secret" not in text
    for missing in SECRETS:
        r = compose_config({k: v for k, v in SECRETS.items() if k != missing}, tmp_path)
        assert r.returncode != 0 and missing in r.stderr, r.stderr
