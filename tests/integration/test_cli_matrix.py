"""Every `lensboard` command, run as a user runs it, against one real server with auth on.

The 401 of `lensboard suspects` passed hundreds of tests because no test ran that command against a
server that asks for a token. Here every command that talks to the API runs once, in a fresh interpreter,
with LENSBOARD_TOKEN set as a script would set it; each must exit 0, never print a 401, and do its job
(checked through the API). A command added to the CLI and missing here fails the coverage test below.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer

from backend.cli.main import app
from tests.integration.test_cli import embedded_env
from tests.support.api_server import ApiServer, cli
from tests.support.custom_data import write_csv_trio

pytestmark = pytest.mark.integration

# Commands that never talk to the API: they run on the server's machine (serve, worker, migrate and the
# account commands that write the database directly), or fetch from the internet (download-imdb).
LOCAL_ONLY = {"serve", "worker", "migrate", "download-imdb", "users create", "users token", "users link"}

# The API commands this matrix runs (the keys of the steps in test_every_command_answers_with_auth_on).
COVERED = {"projects", "projects list", "projects create", "import-imdb", "import-dataset", "train", "samples",
           "jobs", "suspects rank", "suspects export", "download", "sweep create", "sweep list", "sweep show",
           "sweep cancel", "jobs cancel", "login", "logout"}


def cli_commands() -> set[str]:
    """Every command path of the CLI ("suspects rank"), groups themselves included when they run."""
    root = typer.main.get_command(app)
    found: set[str] = set()

    def walk(group: Any, prefix: str) -> None:
        for name, cmd in group.commands.items():
            path = f"{prefix}{name}"
            if hasattr(cmd, "commands"):  # a group
                if cmd.invoke_without_command:
                    found.add(path)
                walk(cmd, f"{path} ")
            else:
                found.add(path)

    walk(root, "")
    return found


def test_the_matrix_covers_every_command() -> None:
    assert cli_commands() == COVERED | LOCAL_ONLY


def test_every_command_answers_with_auth_on(data_dir: Path, imdb_subset: Path, tmp_path: Path) -> None:
    env = embedded_env(data_dir)
    assert cli(["migrate"], env).returncode == 0
    server = ApiServer(env, data_dir / "server.log")
    server.start()
    ran: set[str] = set()

    def run(name: str, args: list[str], timeout: float = 600.0, stdin: str | None = None,
            run_env: dict[str, str] | None = None) -> str:
        r = cli(args, run_env or server.env, timeout=timeout, stdin=stdin)
        assert "HTTP 401" not in r.stderr + r.stdout, (name, r.stderr)
        assert r.returncode == 0, f"{name}: {r.stderr}\n{server.log()[-3000:]}"
        ran.add(name)
        return r.stdout

    def api(path: str, **params: object) -> object:
        r = httpx.get(f"{server.url}/api{path}", params=params, headers=server.headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    try:
        assert "Created project" in run("projects create", ["projects", "create", "walk"])
        assert "walk" in run("projects", ["projects"])
        assert "walk" in run("projects list", ["projects", "list"])
        run("import-imdb", ["import-imdb", str(imdb_subset), "--project", "walk", "--subset", "30",
                            "--val-size", "20", "--vocab-size", "2000", "--max-length", "120"])
        trio = write_csv_trio(tmp_path / "news", per_class=8)
        assert "politics, science, sports" in run("import-dataset", [
            "import-dataset", "walk", str(trio), "--vocab-size", "300", "--max-length", "32"])
        datasets = api("/projects/1/datasets")
        assert isinstance(datasets, list) and len(datasets) == 2
        imdb = datasets[0]["id"]

        run("train", ["train", "walk", "--arch", "cnn", "--epochs", "1", "--seed", "1", "--dataset", str(imdb),
                      "--set", "embedding_dim=16", "--set", "num_filters=8", "--set", "kernel_sizes=[3,4]",
                      "--set", "batch_size=16"])
        versions = api("/projects/1/versions")
        assert isinstance(versions, list)
        vid = versions[0]["id"]
        shown = run("samples", ["samples", str(vid), "--limit", "3", "--split", "test"])
        assert "neg" in shown or "pos" in shown  # class names, not 0/1
        assert "train" in run("jobs", ["jobs", "--project", "walk"])

        ranked = run("suspects rank", ["suspects", "rank", str(vid), "--splits", "test", "--wait"])
        assert "Ranked" in ranked
        out = tmp_path / "suspects.csv"
        run("suspects export", ["suspects", "export", str(vid), "--split", "test", "--out", str(out)])
        rows = list(csv.DictReader(out.open()))
        test_samples = api(f"/versions/{vid}/samples", split="test", limit=1)
        assert isinstance(test_samples, dict)
        assert len(rows) == test_samples["total"] == 60  # one row per test sample (30 a class)
        assert {r["label_name"] for r in rows} <= {"neg", "pos"}
        # A test-only ranking trains no fold model.
        jobs = api("/jobs", project_id=1, limit=100)
        assert isinstance(jobs, list) and not [j for j in jobs if j["kind"] == "suspects_fold"]

        metrics = tmp_path / "metrics.csv"
        run("download", ["download", str(vid), "metrics", "--out", str(metrics)])
        assert metrics.read_text().startswith(("epoch", "split", "version"))

        space = tmp_path / "space.json"
        space.write_text(json.dumps({"learning_rate": [0.001, 0.002]}))
        # Trials long enough that the second still waits behind the first when `jobs cancel` runs.
        created = run("sweep create", ["sweep", "create", "walk", "--space", str(space), "--epochs", "30",
                                       "--dataset", str(imdb), "--set", "embedding_dim=16",
                                       "--set", "num_filters=8", "--set", "kernel_sizes=[3,4]"])
        assert "with 2 trials" in created
        sweeps = api("/projects/1/sweeps")
        assert isinstance(sweeps, list) and len(sweeps) == 1
        sid = sweeps[0]["id"]
        assert sweeps[0]["name"] in run("sweep list", ["sweep", "list", "walk"])
        run("sweep show", ["sweep", "show", str(sid)])
        # One trial's job cancelled on its own (queued or running: either stops it), then the sweep.
        trial_jobs = api("/jobs", project_id=1, limit=100)
        assert isinstance(trial_jobs, list)
        active = ("PENDING", "STARTED", "PROGRESS")
        open_trials = [j for j in trial_jobs if j["kind"] == "train" and j["state"] in active]
        assert open_trials, trial_jobs
        last = max(j["id"] for j in open_trials)
        assert "Cancelled job" in run("jobs cancel", ["jobs", "cancel", str(last)])
        assert api(f"/jobs/{last}")["state"] == "REVOKED"  # type: ignore[index]
        assert "cancelled" in run("sweep cancel", ["sweep", "cancel", str(sid)])

        # Signing in with a password, then out, from a config folder of its own.
        person = {**{k: v for k, v in server.env.items() if k != "LENSBOARD_TOKEN"},
                  "XDG_CONFIG_HOME": str(tmp_path / "person")}
        assert cli(["users", "create", "ann", "--password-stdin"], person,
                   stdin="correct horse battery\n").returncode == 0
        run("login", ["login", "--username", "ann", "--password-stdin"], stdin="correct horse battery\n",
            run_env=person)
        run("logout", ["logout"], run_env=person)
    finally:
        server.stop()
    assert ran == COVERED
