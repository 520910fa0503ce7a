"""`lensboard sweep ...` as a user runs it: a subprocess talking to a real server subprocess (no worker,
so the trials stay queued until the sweep is cancelled)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.core.artifacts.store import LocalArtifactStore
from backend.core.db.session import make_engine, make_session_factory
from tests.support.api_server import ApiServer, cli
from tests.support.databases import SqliteDatabases
from tests.support.datasets import create_project, insert_synthetic_dataset
from tests.support.worker_process import lensboard_env

pytestmark = pytest.mark.integration


@pytest.fixture
def server(sqlite_dbs: SqliteDatabases, data_dir: Path) -> Iterator[ApiServer]:
    env = lensboard_env(sqlite_dbs.fresh(), f"sqla+sqlite:///{data_dir / 'broker.sqlite'}", data_dir)
    engine = make_engine(env["DATABASE_URL"])
    with make_session_factory(engine)() as s:
        project = create_project(s, "reviews")
        insert_synthetic_dataset(s, LocalArtifactStore(env["LENSBOARD_ARTIFACT_ROOT"]), project.id, n=40,
                                 vocab_size=100, max_length=32)
    engine.dispose()
    srv = ApiServer(env, data_dir / "server.log", "--no-worker")
    srv.start()
    yield srv
    srv.stop()


def test_sweep_create_show_cancel(server: ApiServer, tmp_path: Path) -> None:
    space = tmp_path / "space.json"
    space.write_text('{"dropout": [0.1, 0.3]}')
    created = cli(["sweep", "create", "reviews", "--space", str(space), "--param", "learning_rate=1e-3:1e-2:log",
                   "--strategy", "random", "--budget", "3", "--epochs", "1", "--set", "num_filters=8",
                   "--patience", "2", "--name", "lr"], server.env)
    assert created.returncode == 0, created.stderr
    assert "Created sweep 1 (lr) with 3 trials." in created.stdout
    assert "learning_rate" in created.stdout and created.stdout.count("queued") == 3

    listed = cli(["sweep", "list", "reviews"], server.env)
    assert listed.returncode == 0 and "lr" in listed.stdout and "random" in listed.stdout
    shown = cli(["sweep", "show", "1", "--sort", "trial"], server.env)
    assert shown.returncode == 0 and "Sweep 1 (lr): running, best by val_accuracy" in shown.stdout

    cancelled = cli(["sweep", "cancel", "1"], server.env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "Sweep 1 cancelled: 3 trials stopped, 0 trained kept." in cancelled.stdout
    assert "cancelled" in cli(["sweep", "show", "1"], server.env).stdout

    errors = {
        ("sweep", "create", "reviews", "--param", "dropout=0.2,2"): "trial 1 (dropout=2): hyperparameters.dropout",
        ("sweep", "create", "reviews", "--param", "dropout"): "--param expects name=values",
        ("sweep", "create", "reviews"): "give a search space",
        ("sweep", "create", "nope", "--param", "dropout=0.1"): "no project named 'nope'",
        ("sweep", "show", "99"): "sweep 99 not found",
        ("sweep", "cancel", "99"): "sweep 99 not found",
        ("sweep", "show", "1", "--sort", "f1"): "sort",
    }
    for args, message in errors.items():
        r = cli(list(args), server.env)
        assert r.returncode != 0 and message in r.stderr, (args, r.stdout, r.stderr)
