"""docker-compose.yml (and its S3 and multi-host additions), read by Debian's docker-compose (the real
parser), and the Dockerfile it builds."""

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
S3_SECRETS = {**SECRETS, "MINIO_ROOT_USER": "minio-user", "MINIO_ROOT_PASSWORD": "minio-secret"}
EXPOSE = {**S3_SECRETS, "REDIS_PASSWORD": "redis-secret", "LENSBOARD_SERVICES_BIND": "10.9.8.7",
          "LENSBOARD_S3_BIND": "10.9.8.7"}
LONG_RUNNING = {"postgres", "redis", "api", "worker", "worker-interactive"}
S3_FILES = ("docker-compose.yml", "docker-compose.s3.yml")
EXPOSE_FILES = (*S3_FILES, "docker-compose.expose.yml")


def compose_config(env: dict[str, str], tmp_path: Path,
                   files: tuple[str, ...] = ("docker-compose.yml",)) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        unavailable("docker-compose (Debian package docker-compose; `make test` installs it)")
    empty_env_file = tmp_path / "empty.env"  # a developer's .env must not change what is tested
    empty_env_file.write_text("")
    return subprocess.run(
        [str(exe), "--project-directory", str(ROOT), "--env-file", str(empty_env_file),
         *(arg for f in files for arg in ("-f", str(ROOT / f))), "config"],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=120,
    )


def parsed_config(env: dict[str, str], tmp_path: Path, files: tuple[str, ...]) -> dict[str, Any]:
    r = compose_config(env, tmp_path, files)
    assert r.returncode == 0, r.stderr
    parsed: dict[str, Any] = yaml.safe_load(r.stdout)
    return parsed


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return parsed_config(SECRETS, tmp_path_factory.mktemp("compose"), ("docker-compose.yml",))


@pytest.fixture(scope="module")
def s3_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return parsed_config(S3_SECRETS, tmp_path_factory.mktemp("compose"), S3_FILES)


@pytest.fixture(scope="module")
def expose_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return parsed_config(EXPOSE, tmp_path_factory.mktemp("compose"), EXPOSE_FILES)


def test_services(config: dict[str, Any]) -> None:
    assert set(config["services"]) >= {"postgres", "redis", "migrate", "api", "worker", "worker-interactive"}


def test_both_lanes_run(config: dict[str, Any]) -> None:
    """The GPU worker serves both lanes (interactive first); a CPU worker serves the interactive lane alone."""
    services = config["services"]
    assert services["worker"]["command"][-2:] == ["--lane", "all"]
    interactive = services["worker-interactive"]
    assert interactive["command"][-2:] == ["--lane", "interactive"]
    assert not interactive.get("deploy"), "analyses and maps need no GPU reservation"
    assert "inspect ping -d interactive@" in " ".join(interactive["healthcheck"]["test"])


@pytest.mark.parametrize("which", ["config", "s3_config", "expose_config"])
def test_every_service_has_a_healthcheck(which: str, request: pytest.FixtureRequest) -> None:
    for name, service in request.getfixturevalue(which)["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    config = request.getfixturevalue(which)
    worker_check = " ".join(config["services"]["worker"]["healthcheck"]["test"])
    assert "celery -A worker.celery_app inspect ping" in worker_check
    assert "/api/ready" in " ".join(config["services"]["api"]["healthcheck"]["test"])


def test_worker_reserves_an_nvidia_gpu_and_builds_the_cuda_stage(config: dict[str, Any]) -> None:
    worker = config["services"]["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    # Every replica sees the host's GPUs and claims one through a lock in a volume the replicas share.
    assert all(d.get("count") == "all" for d in devices)
    assert worker["environment"]["LENSBOARD_GPU_LOCK_DIR"] == "/data/gpu-locks"
    assert any(v.startswith("gpu-locks:/data/gpu-locks") for v in worker["volumes"])
    assert "gpu-locks" in config["volumes"]
    assert "/data/gpu-locks" in (ROOT / "docker" / "Dockerfile").read_text(), "a volume over a missing folder is root's"
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


def test_s3_store_replaces_the_shared_volume(s3_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    services = s3_config["services"]
    assert "miniodata" in s3_config["volumes"]
    assert any(v.startswith("miniodata:/data") for v in services["minio"]["volumes"])
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing" in " ".join(services["minio-init"]["command"])
    for name in ("api", "worker", "worker-interactive", "worker-cpu"):
        env = services[name]["environment"]
        assert env["LENSBOARD_ARTIFACT_URL"] == "s3://lensboard/artifacts", name
        assert env["LENSBOARD_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("minio-user", "minio-secret")
        assert services[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert services["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == "minio-secret"
    assert services["worker"]["deploy"]["resources"]["reservations"]["devices"], "the GPU reservation stays"

    # What the worker's environment means to Lensboard: the bucket, not the volume that is still mounted.
    from backend.core.settings import Settings

    for key, value in services["worker"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(ROOT / "docker")  # no stray .env file
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.artifacts, settings.s3_endpoint_url) == ("s3://lensboard/artifacts", "http://minio:9000")


def test_exposed_services_bind_to_the_private_address_behind_passwords(expose_config: dict[str, Any]) -> None:
    services = expose_config["services"]
    assert [p.split(":5432")[0] for p in services["postgres"]["ports"]] == ["10.9.8.7"]
    assert [p.split(":6379")[0] for p in services["redis"]["ports"]] == ["10.9.8.7"]
    assert [p.split(":9000")[0] for p in services["minio"]["ports"]] == ["10.9.8.7"]
    assert "--requirepass" in " ".join(services["redis"]["command"])
    assert "REDIS_PASSWORD" in " ".join(services["redis"]["healthcheck"]["test"])
    for name in ("api", "worker", "worker-interactive", "worker-cpu"):
        assert services[name]["environment"]["CELERY_BROKER_URL"] == "redis://:redis-secret@redis:6379/0"


@pytest.mark.parametrize(("files", "env"), [(S3_FILES, S3_SECRETS), (EXPOSE_FILES, EXPOSE)])
def test_the_additions_demand_their_secrets(files: tuple[str, ...], env: dict[str, str], tmp_path: Path) -> None:
    for name in ("docker-compose.s3.yml", "docker-compose.expose.yml"):
        text = (ROOT / name).read_text()
        assert not any(secret in text for secret in env.values()), name
    for missing in set(env) - set(SECRETS) - {"LENSBOARD_S3_BIND"}:
        r = compose_config({k: v for k, v in env.items() if k != missing}, tmp_path, files)
        assert r.returncode != 0 and missing in r.stderr, (missing, r.stderr)
