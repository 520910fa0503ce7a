"""Which lane each job kind takes, what a worker of each lane consumes, and what people call jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.cli.client import CliError
from backend.cli.local import interactive_env, worker_command
from backend.core.jobs.broker_queues import ordinal, waiting_message
from backend.core.jobs.lanes import Lane, lane_of, queues_of
from backend.core.jobs.submit import TASK_FOR_KIND
from backend.core.jobs.titles import job_title
from backend.core.vocabulary import JobKind


def test_every_kind_has_a_lane_and_quick_work_is_interactive() -> None:
    lanes = {kind: lane_of(kind) for kind in TASK_FOR_KIND}
    assert {k for k, lane in lanes.items() if lane == Lane.INTERACTIVE} == {JobKind.ANALYZE, JobKind.MAP}
    assert lane_of("from_a_newer_version") == Lane.BULK


def test_workers_consume_their_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.core.settings import get_settings

    monkeypatch.setenv("LENSBOARD_QUEUE", "site")
    get_settings.cache_clear()
    try:
        assert queues_of("all") == ["site.interactive", "site.bulk"]  # interactive first
        interactive = worker_command(lane="interactive")
        assert "--queues=site.interactive" in interactive and "--concurrency=2" in interactive
        assert "--hostname=interactive@%h" in interactive
        both = worker_command(concurrency=3, lane="all")
        assert "--queues=site.interactive,site.bulk" in both and "--concurrency=3" in both
        assert "--hostname=worker@%h" in both  # the name compose's health check pings
        with pytest.raises(CliError, match="unknown lane"):
            worker_command(lane="fast")
    finally:
        get_settings.cache_clear()
    assert interactive_env()["LENSBOARD_TORCH_THREADS"] == "1"


def test_titles_and_waiting_text() -> None:
    assert job_title("suspects_fold", {"fold": 1, "folds": 5}) == "Mislabel ranking: fold 2 of 5"
    assert job_title("map", {"epoch": 3}) == "Population map: epoch 3"
    assert job_title("eval_shard", {"epoch": 2, "shard": 0, "shards": 4}) == "Evaluation, epoch 2: part 1 of 4"
    assert job_title("train", {"epochs": 1}) == "Training: 1 epoch"
    assert job_title("analyze", {"method": "integrated_gradients", "sample_ids": [4], "epoch": 2}) == (
        "Analysis: integrated gradients of 1 sample, epoch 2")
    assert job_title("analyze", {"text": "x"}) == "Analysis of edited text"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "112th"]
    assert waiting_message(Lane.INTERACTIVE, 3) == "waiting: 3rd in the interactive lane"


def test_serve_declares_every_lane_before_its_workers_race_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kombu's SQLAlchemy transport creates a queue's row by look-then-insert: two embedded workers starting
    together on a new broker could both insert it, and the loser died at start-up. Once `serve` has declared
    the lanes, a worker's own declaration finds them and inserts nothing."""
    import sqlite3

    from tests.conftest import reset_caches

    broker = tmp_path / "broker.sqlite"
    monkeypatch.setenv("CELERY_BROKER_URL", f"sqla+sqlite:///{broker}")
    monkeypatch.setenv("LENSBOARD_QUEUE", "race")
    reset_caches()
    try:
        from backend.core.jobs.app import get_celery
        from backend.core.jobs.broker_queues import declare_queues

        declare_queues()
        rows = sqlite3.connect(broker).execute("SELECT id, name FROM kombu_queue ORDER BY id").fetchall()
        assert sorted(name for _id, name in rows) == ["race.bulk", "race.interactive"]
        app = get_celery()
        with app.connection_for_write() as conn:  # what a worker's consumer does at start-up
            for queue in app.conf.task_queues:
                queue(conn.default_channel).declare()
        assert sqlite3.connect(broker).execute("SELECT id, name FROM kombu_queue ORDER BY id").fetchall() == rows
    finally:
        monkeypatch.undo()
        reset_caches()
