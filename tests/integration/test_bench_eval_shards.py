"""bench/eval_shards.py (run by `make bench-scale REDIS=...`) at a small N on real `lensboard worker` processes in
distributed mode, so that the measurement cannot rot: one epoch with 1 bulk worker (unsharded), one with 2
(two shards), and the speed-up lines."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from bench.eval_shards import bulk_workers, measure
from bench.scale import ROOT, _Prefixed
from tests.support.datasets import create_project, insert_synthetic_dataset

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_eval_shards_bench_runs(client: TestClient, session_factory: sessionmaker[Session],
                                    redis_env: dict[str, str], data_dir: Path) -> None:
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, get_store(), project.id, n=600, vocab_size=400, max_length=64)
        project_id, dataset_id = project.id, dataset.id
    lensboard = str(Path(sys.executable).parent / "lensboard")
    env = {**redis_env, "PYTHONPATH": str(ROOT)}  # this checkout's code in the workers
    lines: list[str] = []
    seconds = measure(_Prefixed(client, "/api"), project_id, dataset_id,
                      lambda w: bulk_workers(lensboard, env, ROOT, data_dir / f"bulk-{w}.log", w),
                      workers=(1, 2), timeout=300, report=lines.append)
    assert set(seconds) == {1, 2} and all(s > 0 for s in seconds.values())
    assert [line.split("=", 1)[0] for line in lines] == [
        "eval_shards_1_workers_s", "eval_shards_2_workers_s", "eval_shards_speedup_1_workers",
        "eval_shards_speedup_2_workers"]
    assert " shards=1 " in lines[0] and " shards=2 " in lines[1]
    assert lines[2] == "eval_shards_speedup_1_workers=1.00"
