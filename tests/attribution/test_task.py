"""The analyze task's body, run directly (the same code a worker runs), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.db.models import Analysis, Job
from backend.core.jobs.submit import create_job
from tests.support.versions import TrainedVersion, imdb_trained_version
from worker.attribution.model_cache import models
from worker.tasks.analysis import analyze


@pytest.fixture
def prepared(session_factory: sessionmaker[Session], imdb_subset: Path) -> TrainedVersion:
    models.clear()
    return imdb_trained_version(session_factory, get_store(), imdb_subset, per_class=5)


def _run(factory: sessionmaker[Session], version_id: int, **params: object) -> Job:
    with factory() as s:
        job = create_job(s, "analyze", version_id=version_id, params={"epoch": 1, **params})
        s.commit()
        job_id = job.id
    analyze(job_id)  # the task body in this process; the integration tests run it on a real worker
    with factory() as s:
        done = s.get(Job, job_id)
        assert done is not None
        assert done.state == "SUCCESS", done.error
        return done


def test_batch_job_stores_one_analysis_per_sample_and_reuses_them(
        session_factory: sessionmaker[Session], prepared: TrainedVersion) -> None:
    ids = prepared.sample_ids[:5]
    ig = {"method": "integrated_gradients", "params": {"n_steps": 20, "internal_batch_size": 20,
                                                        "delta_tolerance": 0.05, "max_steps": 40}}
    first = _run(session_factory, prepared.version_id, sample_ids=ids, **ig)
    assert sorted(map(int, first.result["analysis_ids"])) == sorted(ids) and first.result["errors"] == {}
    with session_factory() as s:
        rows = s.scalars(select(Analysis).order_by(Analysis.id)).all()
        assert [r.sample_id for r in rows] == ids
        res = rows[0].result
        assert res["method"] == "integrated_gradients" and len(res["probabilities"]) == 2
        assert res["faithfulness"]["percents"] == [1, 5, 10, 20, 50]
        assert abs(res["convergence_delta"]) <= 0.05 or res["n_steps"] == 40
        # Truncated samples: past max_length is flagged and unscored.
        for r in rows:
            toks = r.result["tokens"]
            assert all((t["attribution"] is None) == (t["i"] >= prepared.max_length) for t in toks)
    # A second job over an overlapping selection computes only the new sample.
    second = _run(session_factory, prepared.version_id, sample_ids=[*ids[2:], prepared.sample_ids[6]], **ig)
    assert {k: v for k, v in second.result["analysis_ids"].items() if int(k) in ids} == \
        {k: v for k, v in first.result["analysis_ids"].items() if int(k) in ids[2:]}
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Analysis)) == 6


def test_what_if_on_the_same_text_matches_the_stored_sample(
        session_factory: sessionmaker[Session], prepared: TrainedVersion) -> None:
    sid, text = prepared.sample_ids[3], prepared.texts[3]
    for method in ("integrated_gradients", "lime"):
        stored = _run(session_factory, prepared.version_id, sample_ids=[sid], method=method, params={})
        what_if = _run(session_factory, prepared.version_id, text=text, store=False, method=method, params={})
        with session_factory() as s:
            row = s.get(Analysis, stored.result["analysis_ids"][str(sid)])
            assert row is not None
            inline = what_if.result["text"]["analysis"]
            assert inline["id"] is None and inline["sample_id"] is None
            for key in ("tokens", "prediction", "probabilities", "faithfulness", "convergence_delta"):
                assert inline[key] == row.result[key], key
            # Nothing stored for the what-if, and its job no longer holds the text.
            unstored = select(func.count()).select_from(Analysis).where(Analysis.sample_id.is_(None))
            assert s.scalar(unstored) == 0
            assert "text" not in what_if.params and what_if.params["text_sha256"]
    kept = _run(session_factory, prepared.version_id, text=text, store=True, method="saliency", params={})
    with session_factory() as s:
        row = s.get(Analysis, kept.result["text"]["analysis_id"])
        assert row is not None and row.text == text and row.sample_id is None
