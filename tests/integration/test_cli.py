"""The `lensboard` CLI as a user runs it: a subprocess talking to a real server subprocess."""

from __future__ import annotations

import importlib.util
import shutil
import signal
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api_server import ApiServer, all_exited, cli, free_port
from tests.support.custom_data import synthetic_rows, write_csv, write_csv_trio
from tests.support.databases import SqliteDatabases
from tests.support.worker_process import lensboard_env

pytestmark = pytest.mark.integration


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The embedded default: no DATABASE_URL and no broker, everything under the data dir."""
    env = lensboard_env("", "", data_dir)
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "LENSBOARD_ARTIFACT_ROOT"):
        env.pop(key)
    return env


@pytest.fixture
def api_env(sqlite_dbs: SqliteDatabases, data_dir: Path) -> dict[str, str]:
    return lensboard_env(sqlite_dbs.fresh(), f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir)


@pytest.fixture
def server(api_env: dict[str, str], data_dir: Path) -> Iterator[ApiServer]:
    s = ApiServer(api_env, data_dir / "server.log", "--no-worker")
    s.start()
    yield s
    s.stop()


def test_projects_create_and_list(server: ApiServer) -> None:
    created = cli(["projects", "create", "reviews", "--description", "IMDB walkthrough"], server.env)
    assert created.returncode == 0, created.stderr
    assert "Created project" in created.stdout
    listed = cli(["projects"], server.env)
    assert listed.returncode == 0 and "reviews" in listed.stdout
    assert "reviews" in cli(["projects", "list"], server.env).stdout
    listed_api = httpx.get(f"{server.url}/api/projects", headers=server.headers).json()
    assert listed_api[0]["description"] == "IMDB walkthrough"


def test_api_errors_exit_nonzero_with_their_message(server: ApiServer, data_dir: Path) -> None:
    assert cli(["projects", "create", "p"], server.env).returncode == 0
    cases = {
        ("projects", "create", "p"): "a project named 'p' already exists",
        ("train", "p", "--set", "dropout=7"): "hyperparameters.dropout",
        ("train", "p", "--set", "kernel_sizes=[3,4,5]"): "no imported dataset",
        ("train", "nope"): "no project named 'nope'",
        ("train", "p", "--set", "dropout"): "--set expects key=value",
        ("samples", "999"): "version 999 not found",
        ("import-imdb", "/etc/passwd", "--project", "p", "--server-path"): "outside the allowed import roots",
        ("import-imdb", "/etc/passwd", "--project", "p"): "passwd is not a .tar.gz archive (no gzip header)",
        ("import-imdb", "/nowhere/a.tar.gz"): "/nowhere/a.tar.gz does not exist here",
        ("import-dataset", "p", "/etc/passwd", "--server-path"): "outside the allowed import roots",
        ("import-dataset", "p", "/etc/passwd"): "expected a .csv or .jsonl file",
        ("jobs", "--project", "12345"): "project 12345 not found",
    }
    for args, message in cases.items():
        r = cli(list(args), server.env)
        assert r.returncode != 0, (args, r.stdout)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    # A bad hyperparameter never reaches the database.
    assert httpx.get(f"{server.url}/api/projects/1/versions", headers=server.headers).json() == []


def test_cli_signs_in_with_a_password_and_out_again(server: ApiServer, tmp_path: Path) -> None:
    """No token: a clear message. `lensboard login` saves a personal token; `lensboard logout` revokes it."""
    config = tmp_path / "config"
    env = {**{k: v for k, v in server.env.items() if k != "LENSBOARD_TOKEN"}, "XDG_CONFIG_HOME": str(config)}
    anonymous = cli(["projects"], env)
    assert anonymous.returncode != 0, anonymous.stdout
    assert "Sign in with `lensboard login`" in anonymous.stderr and "Traceback" not in anonymous.stderr

    made = cli(["users", "create", "ann", "--password-stdin"], env, stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    wrong = cli(["login", "--username", "ann", "--password-stdin"], env, stdin="incorrect horse\n")
    assert wrong.returncode != 0 and "wrong username or password" in wrong.stderr, wrong.stderr
    assert not (config / "lensboard" / "token").exists()

    signed_in = cli(["login", "--username", "ann", "--password-stdin"], env, stdin="correct horse battery\n")
    assert signed_in.returncode == 0, signed_in.stderr
    assert "Signed in as ann" in signed_in.stdout
    token_file = config / "lensboard" / "token"
    saved = token_file.read_text().strip()
    assert saved and token_file.stat().st_mode & 0o777 == 0o600
    me = httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {saved}"})
    assert me.status_code == 200 and me.json()["username"] == "ann"

    # Later commands run as ann: her project is hers, and the administrator sees it too.
    created = cli(["projects", "create", "anns"], env)
    assert created.returncode == 0, created.stderr
    assert "anns" in cli(["projects"], env).stdout
    project = httpx.get(f"{server.url}/api/projects", headers=server.headers).json()[0]
    members = httpx.get(f"{server.url}/api/projects/{project['id']}/members", headers=server.headers).json()
    assert [(m["username"], m["role"]) for m in members] == [("ann", "owner")]

    signed_out = cli(["logout"], env)
    assert signed_out.returncode == 0 and "Signed out." in signed_out.stdout, signed_out.stderr
    assert not token_file.exists()
    assert httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {saved}"}).status_code == 401
    again = cli(["projects"], env)
    assert again.returncode != 0 and "Sign in with `lensboard login`" in again.stderr


def test_cli_without_a_server_says_how_to_start_one(api_env: dict[str, str]) -> None:
    r = cli(["projects"], {**api_env, "LENSBOARD_URL": f"http://127.0.0.1:{free_port()}"})
    assert r.returncode == 1
    assert "not running" in r.stderr and "make run" in r.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_serve_refuses_non_loopback_host_without_secret(api_env: dict[str, str], host: str) -> None:
    r = cli(["serve", "--host", host, "--port", str(free_port()), "--no-worker"], api_env, timeout=60)
    assert r.returncode == 1
    assert f"refusing to listen on {host}" in r.stderr and "LENSBOARD_SECRET_KEY" in r.stderr


def test_serve_rejects_bad_settings_and_unmigrated_databases(
    api_env: dict[str, str], sqlite_dbs: SqliteDatabases
) -> None:
    bad = cli(["serve", "--no-worker"], {**api_env, "DATABASE_URL": "mysql://db/lensboard"})
    assert bad.returncode == 1 and "invalid settings: DATABASE_URL" in bad.stderr
    broker = cli(["serve", "--no-worker"], {**api_env, "CELERY_BROKER_URL": "kafka://x"})
    assert broker.returncode == 1 and "CELERY_BROKER_URL" in broker.stderr
    blank = cli(["serve", "--no-worker"], {**api_env, "DATABASE_URL": sqlite_dbs.fresh(migrated=False)})
    assert blank.returncode == 1 and "run `lensboard migrate` first" in blank.stderr


def test_embedded_default_migrate_then_serve_runs_a_worker_and_stops_it(data_dir: Path, imdb_subset: Path) -> None:
    """`make run`'s path: migrate, serve (which starts a worker beside the API), a job runs, clean shutdown."""
    env = embedded_env(data_dir)
    migrated = cli(["migrate"], env)
    assert migrated.returncode == 0, migrated.stderr
    assert (data_dir / "lensboard.sqlite").exists()

    server = ApiServer(env, data_dir / "server.log")
    server.start()
    try:
        workers = _wait_for_children(server)
        assert workers, server.log()
        # Ready once the child worker heartbeats (on the embedded broker, which has no remote control).
        deadline = time.monotonic() + 120
        while (ready := httpx.get(f"{server.url}/api/ready", timeout=10)).status_code != 200:
            assert time.monotonic() < deadline, ready.text + server.log()
            time.sleep(0.5)
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
        # An import job goes through the embedded broker to that worker; the CLI follows it to the end.
        r = cli(["import-imdb", str(imdb_subset), "--project", "fresh", "--subset", "5", "--val-size", "4",
                 "--vocab-size", "500", "--max-length", "64"], server.env, timeout=300)
        assert r.returncode == 0, r.stderr + server.log()
        assert "Created project" in r.stdout and "with 20 samples" in r.stdout
        jobs = httpx.get(f"{server.url}/api/jobs", headers=server.headers).json()
        assert [(j["kind"], j["state"]) for j in jobs] == [("import", "SUCCESS")]
    finally:
        code = server.stop()
    assert code in (0, 128 + signal.SIGTERM), server.log()
    assert all_exited(workers), "the embedded worker outlived `lensboard serve`"


def _wait_for_children(server: ApiServer, timeout: float = 30.0) -> list[int]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if kids := server.children():
            return kids
        time.sleep(0.2)
    return []


def _implemented(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.mark.skipif(not _implemented("backend.core.data.importer", "worker.pipeline.train"),
                    reason="the IMDB import and the training pipeline are not in this checkout yet")
def test_walkthrough_import_train_and_read_the_hardest_samples(data_dir: Path, imdb_subset: Path) -> None:
    """The README's CLI walkthrough on the embedded default: import, train with a live bar, read samples."""
    env = embedded_env(data_dir)
    assert cli(["migrate"], env).returncode == 0
    server = ApiServer(env, data_dir / "server.log")
    server.start()
    try:
        imported = cli(["import-imdb", str(imdb_subset), "--project", "walk", "--subset", "30", "--val-size", "20",
                        "--vocab-size", "2000", "--max-length", "120"], server.env, timeout=600)
        assert imported.returncode == 0, imported.stderr + server.log()
        assert "Imported dataset" in imported.stdout and "120 samples" in imported.stdout

        trained = cli(["train", "walk", "--arch", "cnn", "--epochs", "1", "--seed", "1", "--set", "embedding_dim=16",
                       "--set", "num_filters=8", "--set", "kernel_sizes=[3,4]", "--set", "batch_size=16"],
                      server.env, timeout=600)
        assert trained.returncode == 0, trained.stderr + server.log()
        version = httpx.get(f"{server.url}/api/projects/1/versions", headers=server.headers).json()[0]
        assert version["hyperparameters"]["kernel_sizes"] == [3, 4] and version["epochs_done"] == 1
        assert "per-epoch metrics" in trained.stdout

        shown = cli(["samples", str(version["id"]), "--sort", "loss", "--limit", "5", "--split", "test"], server.env)
        assert shown.returncode == 0, shown.stderr
        hardest = httpx.get(f"{server.url}/api/versions/{version['id']}/samples",
                            params={"split": "test", "limit": 5}, headers=server.headers).json()["items"]
        assert [s["result"]["loss"] for s in hardest] == sorted((s["result"]["loss"] for s in hardest), reverse=True)
        for s in hardest:
            assert s["key"] in shown.stdout

        listed = cli(["jobs", "--project", "walk"], server.env)
        assert listed.returncode == 0 and "import" in listed.stdout and "train" in listed.stdout
    finally:
        server.stop()


def _wait_until_ready(server: ApiServer, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (ready := httpx.get(f"{server.url}/api/ready", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, ready.text + server.log()
        time.sleep(0.5)


def test_imports_upload_local_files_and_only_administrators_send_server_paths(
        data_dir: Path, imdb_subset: Path, tmp_path: Path) -> None:
    """The README's first import as a newcomer runs it: the CLI uploads the local archive (or folder) to a
    default server (no LENSBOARD_IMPORT_ROOTS), with the IMDB options; a path for the server to read is sent
    only with --server-path, and only an administrator's is read."""
    env = embedded_env(data_dir)
    assert cli(["migrate"], env).returncode == 0
    server = ApiServer(env, data_dir / "server.log")
    server.start()
    try:
        _wait_until_ready(server)
        archive = tmp_path / "subset.tar.gz"  # a seeded subset of the shared archive, packed as Stanford's
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(imdb_subset, "aclImdb")
        r = cli(["import-imdb", str(archive), "--project", "walk", "--subset", "10", "--val-size", "4",
                 "--vocab-size", "500", "--max-length", "64"], server.env, timeout=300)
        assert r.returncode == 0, r.stderr + server.log()
        assert "uploaded subset.tar.gz" in r.stdout and "with 40 samples" in r.stdout, r.stdout
        # An extracted aclImdb folder goes up as an archive built here.
        r = cli(["import-imdb", str(imdb_subset), "--project", "walk", "--name", "folder", "--subset", "3",
                 "--val-size", "2", "--vocab-size", "500", "--max-length", "64"], server.env, timeout=300)
        assert r.returncode == 0 and "with 12 samples" in r.stdout, r.stderr + server.log()
        datasets = httpx.get(f"{server.url}/api/projects/1/datasets", headers=server.headers).json()
        assert [(d["kind"], d["source"], d["num_samples"]) for d in datasets] == [
            ("imdb", "subset.tar.gz", 40), ("imdb", "aclImdb.tar.gz", 12)]

        trio = write_csv_trio(tmp_path / "news", per_class=6)
        r = cli(["import-dataset", "walk", str(trio), "--vocab-size", "300", "--max-length", "32"], server.env)
        assert r.returncode == 0 and "into project walk" in r.stdout, r.stderr + server.log()
        one = write_csv(tmp_path / "all.csv", [{**row, "split": "train" if i % 4 else "test"}
                                               for i, row in enumerate(synthetic_rows(8))])
        r = cli(["import-dataset", "walk", str(one), "--val-size", "3", "--vocab-size", "300"], server.env)
        assert r.returncode == 0 and "in classes politics, science, sports" in r.stdout, r.stderr + server.log()

        # The CSV error names what is missing and never repeats the file's first line.
        secret = tmp_path / "secret.csv"
        secret.write_text("lb_9f8e7d6c5b4a-not-for-you,x\nhello,a\n")
        r = cli(["import-dataset", "walk", str(secret)], server.env)
        assert r.returncode != 0 and "header naming the columns text and label" in r.stderr, r.stderr
        assert "lb_9f8e7d6c5b4a" not in r.stderr + r.stdout

        # Server paths: outside the roots refused; inside imports/ read, for an administrator...
        r = cli(["import-dataset", "walk", "/etc/hostname", "--server-path"], server.env)
        assert r.returncode != 0 and "outside the allowed import roots" in r.stderr, r.stderr
        on_server = data_dir / "imports" / "subset.tar.gz"
        shutil.copyfile(archive, on_server)
        r = cli(["import-imdb", str(on_server), "--server-path", "--project", "walk", "--subset", "2",
                 "--val-size", "2", "--vocab-size", "500"], server.env, timeout=300)
        assert r.returncode == 0 and "with 8 samples" in r.stdout, r.stderr + server.log()
        # ...and refused, with what to do instead, for an editor who is not one; who can upload.
        assert cli(["users", "create", "bob", "--no-password"], server.env).returncode == 0
        bob = {**server.env, "LENSBOARD_TOKEN": cli(["users", "token", "bob"], server.env).stdout.strip()}
        added = httpx.post(f"{server.url}/api/projects/1/members", json={"username": "bob", "role": "editor"},
                           headers=server.headers)
        assert added.status_code == 201, added.text
        for args in (["import-imdb", str(on_server), "--project", "walk", "--server-path"],
                     ["import-dataset", "walk", str(trio), "--server-path"]):
            r = cli(args, bob)
            assert r.returncode != 0, r.stdout
            assert "only a site administrator can import from a path on the server; upload the file instead" \
                in r.stderr and "HTTP 403" in r.stderr, r.stderr
        r = cli(["import-dataset", "walk", str(trio / "train.csv"), "--val-size", "3", "--vocab-size", "300"], bob)
        assert r.returncode == 0, r.stderr + server.log()
    finally:
        server.stop()
