"""Analyses: token attributions of one text for one version and epoch (the "Analyze" button).

What the worker computes and stores, and the identity the API adds, are backend.core.analyses.results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from backend.api.ids import SampleId
from backend.api.schemas.bounded_json import AnalysisParams
from backend.api.schemas.common import ORMModel
from backend.api.schemas.jobs import JobOut
from backend.core.analyses.results import TokenOut
from backend.core.specs.analysis_methods import DEFAULT_METHOD, MethodName


class _Target(BaseModel):
    method: MethodName = DEFAULT_METHOD
    params: AnalysisParams = {}
    epoch: int | None = Field(default=None, ge=1, description="Default: the latest checkpoint.")


class AnalysisRequest(_Target):
    sample_id: SampleId | None = None
    text: str | None = Field(default=None, description="What-if: analyze this text, not a stored sample.")
    store: bool = Field(default=False, description="Keep a what-if result (stored samples are always kept).")

    @model_validator(mode="after")
    def _one_source(self) -> AnalysisRequest:
        if (self.sample_id is None) == (self.text is None):
            raise ValueError("give exactly one of sample_id or text")
        return self


class BatchAnalysisRequest(_Target):
    sample_ids: list[SampleId] = Field(min_length=1, max_length=5000)


class AnalysisQueued(BaseModel):
    job: JobOut


class BatchAnalysisOut(BaseModel):
    job: JobOut | None = Field(description="The job computing the missing ones; None when all were cached.")
    cached: dict[int, int] = Field(description="sample_id -> analysis id, already available.")
    pending: list[int] = Field(description="Sample ids the job computes.")


class AnalysisSummary(ORMModel):
    id: int
    version_id: int
    epoch: int
    sample_id: int | None
    method: str
    params: dict[str, Any]
    prediction: int
    p_positive: float
    comprehensiveness: float
    sufficiency: float
    seconds: float
    created_at: datetime


class SampleTokens(BaseModel):
    sample_id: int
    dataset_id: int
    max_length: int
    token_count: int
    oov_count: int
    truncated: bool
    tokens: list[TokenOut]
