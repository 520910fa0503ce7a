"""`make bench-scale`'s chain at a small N on a real worker, so the benchmark cannot rot: a synthetic corpus
(bench/make_corpus.py), its streamed import from a server-side path, one ngram epoch, and epoch 1's map."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.make_corpus import build_pools, write_corpus
from bench.scale import Stage, chain
from tests.support.services import require_archive
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.integration

N = 2_000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_scale_chain_runs_on_a_worker(client: TestClient, data_dir: Path, embedded_worker: WorkerProcess,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.core.settings import get_settings

    corpus = data_dir / "imports" / f"synthetic_{N}.csv"
    write_corpus(corpus, N, seed=0, test_fraction=0.2, pools=build_pools(require_archive()))
    with open(corpus, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N and set(rows[0]) == {"id", "text", "label", "split", "score", "movie_id"}
    assert all((int(r["score"]) <= 4) == (r["label"] == "neg") for r in rows)

    monkeypatch.setenv("LENSBOARD_STREAM_IMPORT_BYTES", "0")  # this small file takes the large-file path
    get_settings.cache_clear()
    seen: list[Stage] = []
    made: dict[str, int] = {}
    try:
        stages = chain(client, corpus, timeout=240, report=seen.append, prefix="/api", made=made, rank_folds=2)
    except SystemExit as e:  # the chain's way to stop on a failed job: show the worker's side too
        raise AssertionError(f"{e}\n{embedded_worker.log()}") from e
    finally:
        get_settings.cache_clear()
    assert [s.name for s in stages] == ["import", "epoch", "map", "rank"] and seen == stages
    facts = {s.name: dict(kv.split("=", 1) for kv in s.detail.split(" ")) for s in stages}
    assert facts["import"]["samples"] == str(N) and facts["import"]["streamed"] == "true"
    assert float(facts["epoch"]["val_accuracy"]) > 0.6  # the labels carry over from IMDB's sentences
    assert facts["map"]["points"] == str(N) and 0 < float(facts["map"]["trustworthiness"]) <= 1
    assert 0 < float(facts["map"]["points_payload_mb"]) < 1  # 2,000 points: a few tens of kB
    train = client.get(f"/api/datasets/{made['dataset_id']}").json()["stats"]["counts"]["train"]
    assert facts["rank"]["folds"] == "2" and int(facts["rank"]["train_ranked"]) == train["total"] > 0
