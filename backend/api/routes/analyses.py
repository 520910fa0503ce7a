"""Analyses: which words pushed a prediction toward each class, for a sample or a what-if text.

A cached result answers 200 at once; anything else is computed by a worker (202 with the job,
whose completion the job stream `GET /api/jobs-stream` pushes). No torch here: the API validates,
looks up the cache and tokenizes, nothing more.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import SessionDep, SettingsDep
from backend.api.errors import Conflict, NotFound, Unprocessable
from backend.api.guard import (
    AnalysisDep,
    SampleDep,
    SampleQueryDep,
    VersionDep,
    VersionQueryDep,
    checked_body,
    version_in_path,
)
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.schemas.analyses import (
    AnalysisQueued,
    AnalysisRequest,
    AnalysisSummary,
    BatchAnalysisOut,
    BatchAnalysisRequest,
    SampleTokens,
)
from backend.api.schemas.jobs import JobOut
from backend.core.analyses.cache import (
    cache_key,
    find_cached,
    has_checkpoint,
    latest_checkpoint_epoch,
)
from backend.core.analyses.results import AnalysisOut, TokenOut
from backend.core.artifacts import get_store
from backend.core.db.models import Analysis, Dataset, ModelVersion, Sample
from backend.core.jobs.submit import create_job, enqueue
from backend.core.specs.analysis_methods import UnknownMethod, ValidationError, validate_method_params
from backend.core.text.token_store import load_tokenizer
from backend.core.text.token_view import token_view
from backend.core.text.tokenizer import TextTokenizer
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["analyses"])

AnalysisBody = Annotated[AnalysisRequest, Depends(checked_body(AnalysisRequest, version_in_path))]
BatchBody = Annotated[BatchAnalysisRequest, Depends(checked_body(BatchAnalysisRequest, version_in_path))]


@lru_cache(maxsize=8)
def _tokenizer(store_url: str, dataset_id: int) -> TextTokenizer:
    return load_tokenizer(get_store(), dataset_id)


def dataset_tokenizer(dataset: Dataset) -> TextTokenizer:
    if dataset.status != "ready":
        raise Conflict(f"dataset {dataset.id} is {dataset.status}, not ready")
    try:
        return _tokenizer(get_store().url, dataset.id)
    except KeyError as e:
        raise Conflict(f"dataset {dataset.id} has no tokenizer") from e


def _method_params(method: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return validate_method_params(method, params)
    except UnknownMethod as e:
        raise Unprocessable(str(e)) from e
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise Unprocessable(f"params.{where}: {first['msg']}" if where else f"params: {first['msg']}") from e


def _epoch(session: Session, version: ModelVersion, epoch: int | None) -> int:
    if epoch is None:
        latest = latest_checkpoint_epoch(session, version)
        if latest is None:
            raise Conflict(f"version {version.id} has no trained epoch yet", state=version.status)
        return latest
    if not has_checkpoint(session, version.id, epoch):
        raise NotFound(f"epoch of version {version.id}:", epoch)
    return epoch


def _sample(session: Session, version: ModelVersion, sample_id: int) -> Sample:
    sample = session.get(Sample, sample_id)
    if sample is None or sample.dataset_id != version.dataset_id:
        raise NotFound(f"sample in the dataset of version {version.id}:", sample_id)
    return sample


def _check_text(text: str, max_bytes: int, tokenizer: TextTokenizer) -> None:
    size = len(text.encode())
    if size > max_bytes:
        raise HTTPException(status_code=413, detail=f"text is {size} bytes; the limit is {max_bytes}")
    if not text.strip():
        raise Unprocessable("text is empty")
    if not tokenizer.encode(text).ids:
        raise Unprocessable("text is empty: it has no words")


def analysis_out(row: Analysis, cached: bool = False) -> AnalysisOut:
    return AnalysisOut(**row.result, id=row.id, version_id=row.version_id, epoch=row.epoch,
                       sample_id=row.sample_id, cached=cached, created_at=row.created_at)


def _json(status: int, body: BaseModel) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


@router.post(
    "/versions/{version_id}/analyses",
    operation_id="analyze",
    response_model=None,
    dependencies=[rate_limit("analyze")],
    responses={**RATE_LIMITED, 200: {"model": AnalysisOut, "description": "Cached result"},
               202: {"model": AnalysisQueued, "description": "Queued: follow the job"},
               413: {"description": "Text over the size limit"}},
)
def analyze(version: VersionDep, body: AnalysisBody, session: SessionDep,
            settings: SettingsDep) -> JSONResponse:
    """Attributions of a sample (or a what-if `text`) toward every class, with faithfulness.

    200 with the cached result, else 202 with the job computing it. A what-if is not stored unless
    `store` is true; when its job finishes, the result is in the job's `result.text.analysis`.
    """
    params = _method_params(body.method, body.params)
    dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    if body.text is not None:
        _check_text(body.text, settings.max_text_bytes, dataset_tokenizer(dataset))
    else:
        assert body.sample_id is not None
        _sample(session, version, body.sample_id)
    epoch = _epoch(session, version, body.epoch)
    key = cache_key(version.id, epoch, body.method, params, sample_id=body.sample_id, text=body.text)
    hit = find_cached(session, [key]).get(key)
    if hit is not None:
        return _json(200, analysis_out(hit, cached=True))
    job_params: dict[str, Any] = {"method": body.method, "params": params, "epoch": epoch}
    if body.text is not None:
        job_params.update(text=body.text, store=body.store)
    else:
        job_params["sample_ids"] = [body.sample_id]
    job = _queue(session, version, job_params)
    return _json(202, AnalysisQueued(job=JobOut.model_validate(job)))


def _queue(session: Session, version: ModelVersion, params: dict[str, Any]) -> Any:
    job = create_job(session, JobKind.ANALYZE, project_id=version.project_id, version_id=version.id,
                     dataset_id=version.dataset_id, params=params)
    return enqueue(session, job)


@router.post(
    "/versions/{version_id}/analyses/batch",
    operation_id="analyzeBatch",
    response_model=None,
    dependencies=[rate_limit("analyze")],
    responses={**RATE_LIMITED, 200: {"model": BatchAnalysisOut, "description": "All cached"},
               202: {"model": BatchAnalysisOut, "description": "Some queued as one job"}},
)
def analyze_batch(version: VersionDep, body: BatchBody, session: SessionDep) -> JSONResponse:
    """Analyze many samples (e.g. a lasso selection) as one job that runs in batches on a worker."""
    params = _method_params(body.method, body.params)
    ids = list(dict.fromkeys(body.sample_ids))
    found = set(session.scalars(select(Sample.id).where(Sample.id.in_(ids),
                                                        Sample.dataset_id == version.dataset_id)))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"samples in the dataset of version {version.id}:", missing[:20])
    epoch = _epoch(session, version, body.epoch)
    keys = {sid: cache_key(version.id, epoch, body.method, params, sample_id=sid) for sid in ids}
    cached = find_cached(session, list(keys.values()))
    done = {sid: cached[k].id for sid, k in keys.items() if k in cached}
    pending = [sid for sid in ids if sid not in done]
    if not pending:
        return _json(200, BatchAnalysisOut(job=None, cached=done, pending=[]))
    job = _queue(session, version, {"method": body.method, "params": params, "epoch": epoch,
                                    "sample_ids": pending})
    return _json(202, BatchAnalysisOut(job=JobOut.model_validate(job), cached=done, pending=pending))


@router.get("/analyses/{analysis_id}", operation_id="getAnalysis")
def get_analysis(analysis: AnalysisDep) -> AnalysisOut:
    return analysis_out(analysis)


@router.get("/versions/{version_id}/analyses", operation_id="listAnalyses")
def list_analyses(version: VersionDep, session: SessionDep, sample: SampleQueryDep,
                  epoch: int | None = None, method: str | None = None) -> list[AnalysisSummary]:
    """Stored analyses of a version (newest first), without their tokens."""
    q = select(Analysis).where(Analysis.version_id == version.id).order_by(Analysis.id.desc()).limit(1000)
    if sample is not None:
        q = q.where(Analysis.sample_id == sample.id)
    if epoch is not None:
        q = q.where(Analysis.epoch == epoch)
    if method is not None:
        q = q.where(Analysis.method == method)
    return [AnalysisSummary.model_validate(a) for a in session.scalars(q)]


@router.get("/samples/{sample_id}/tokens", operation_id="getSampleTokens")
def sample_tokens(sample: SampleDep, session: SessionDep, version: VersionQueryDep) -> SampleTokens:
    """The sample's tokens with spans in its original text, OOV and past-max-length flags (no model)."""
    if version is not None:
        _sample(session, version, sample.id)
    dataset = session.get(Dataset, sample.dataset_id)
    assert dataset is not None
    tok = dataset_tokenizer(dataset)
    enc = tok.encode(sample.text)
    return SampleTokens(sample_id=sample.id, dataset_id=dataset.id, max_length=tok.max_length,
                        token_count=enc.token_count, oov_count=enc.oov_count, truncated=enc.truncated,
                        tokens=[TokenOut(**row) for row in token_view(sample.text, enc)])
