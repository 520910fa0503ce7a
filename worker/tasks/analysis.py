"""Analysis task: attributions for one what-if text or many samples of one version and epoch.

A lasso selection of hundreds of samples is one job: the model is loaded once, the samples go in
batches (one database round trip and one progress update per batch), and every batch's results
are committed before the next starts, so a worker lost midway keeps what it finished and its
successor skips those (the cache key makes every item idempotent).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.analyses.cache import cache_key, find_cached, store_analysis, text_sha256
from backend.core.analyses.results import AnalysisOut, AnalysisResult
from backend.core.db.models import Analysis, Sample
from backend.core.jobs.app import celery_app
from worker.attribution.analyze import analyze_text
from worker.attribution.model_cache import LoadedModel, models
from worker.job_runner import JobContext, run_job

log = logging.getLogger(__name__)

BATCH_SIZE = 16


@celery_app.task(name="lensboard.analyze")  # type: ignore[untyped-decorator]
def analyze(job_id: int) -> None:
    with run_job(job_id) as ctx:
        if ctx is None:
            return
        ctx.succeed(run_analysis(ctx), message="analyzed")


def _row(version_id: int, epoch: int, key: str, res: AnalysisResult, *, sample_id: int | None = None,
         text: str | None = None) -> Analysis:
    return Analysis(
        cache_key=key, version_id=version_id, epoch=epoch, sample_id=sample_id, text=text,
        text_sha256=text_sha256(text) if text is not None else None, method=res.method, params=res.params,
        # p(class 1), as in per-sample results (the last class is class 1 only in the binary case).
        prediction=res.prediction, p_positive=res.probabilities[1 if len(res.probabilities) > 1 else 0],
        comprehensiveness=res.faithfulness.comprehensiveness, sufficiency=res.faithfulness.sufficiency,
        seconds=res.timing["total"], result=res.model_dump(mode="json"),
    )


def run_analysis(ctx: JobContext) -> dict[str, Any]:
    """The job's body; returns the job result (analysis ids, and an unstored what-if inline)."""
    with ctx.factory() as s:
        job = ctx.job(s)
        version_id = job.version_id
        p = dict(job.params)
    assert version_id is not None, "an analyze job names its version"
    epoch, method, params = int(p["epoch"]), str(p["method"]), dict(p["params"])
    with ctx.factory() as s:
        loaded = models.get(s, version_id, epoch)
    out: dict[str, Any] = {"analysis_ids": {}, "errors": {}}
    if p.get("text") is not None:
        out["text"] = _analyze_text(ctx, loaded, version_id, epoch, method, params, str(p["text"]),
                                    bool(p.get("store")))
        return out
    sample_ids = [int(i) for i in p.get("sample_ids", [])]
    for start in range(0, len(sample_ids), BATCH_SIZE):
        batch = sample_ids[start:start + BATCH_SIZE]
        with ctx.factory() as s:
            _analyze_batch(s, loaded, version_id, epoch, method, params, batch, out)
            s.commit()
        done = min(start + BATCH_SIZE, len(sample_ids))
        ctx.progress(done / len(sample_ids), f"analyzed {done}/{len(sample_ids)}", done=done,
                     total=len(sample_ids))
    return out


def _analyze_batch(s: Session, loaded: LoadedModel, version_id: int, epoch: int, method: str,
                   params: dict[str, Any], batch: list[int], out: dict[str, Any]) -> None:
    samples = {x.id: x for x in s.scalars(select(Sample).where(Sample.id.in_(batch)))}
    keys = {sid: cache_key(version_id, epoch, method, params, sample_id=sid) for sid in batch}
    cached = find_cached(s, list(keys.values()))
    for sid in batch:
        hit = cached.get(keys[sid])
        if hit is not None:
            out["analysis_ids"][str(sid)] = hit.id
            continue
        sample = samples.get(sid)
        if sample is None:
            out["errors"][str(sid)] = f"sample {sid} not found"
            continue
        try:
            res = analyze_text(loaded.model, loaded.tokenizer, sample.text, method, params, loaded.classes)
        except ValueError as e:  # e.g. a text with no tokens: report it, analyze the rest
            out["errors"][str(sid)] = str(e)
            continue
        row = store_analysis(s, _row(version_id, epoch, keys[sid], res, sample_id=sid))
        s.flush()
        out["analysis_ids"][str(sid)] = row.id


def _analyze_text(ctx: JobContext, loaded: LoadedModel, version_id: int, epoch: int, method: str,
                  params: dict[str, Any], text: str, store: bool) -> dict[str, Any]:
    key = cache_key(version_id, epoch, method, params, text=text)
    with ctx.factory() as s:
        hit = find_cached(s, [key]).get(key)
        if hit is not None:
            return {"analysis_id": hit.id}
    res = analyze_text(loaded.model, loaded.tokenizer, text, method, params, loaded.classes)
    with ctx.factory() as s:
        # The job row held the text only to hand it over; an unstored what-if keeps just its hash.
        job = ctx.job(s)
        if not store:
            kept = {k: v for k, v in job.params.items() if k != "text"}
            job.params = {**kept, "text_sha256": text_sha256(text)}
            s.commit()
    if not store:
        # Nothing is stored: the result travels in the job's result only.
        inline = AnalysisOut(**res.model_dump(), id=None, version_id=version_id, epoch=epoch, sample_id=None)
        return {"analysis": inline.model_dump(mode="json")}
    with ctx.factory() as s:
        row = store_analysis(s, _row(version_id, epoch, key, res, text=text))
        s.commit()
        return {"analysis_id": row.id}
