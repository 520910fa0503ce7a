"""Analyses: token attributions of one text for one version and epoch (the "Analyze" button).

`AnalysisResult` is what the worker computes and stores; the API adds identity (`AnalysisOut`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from backend.analysis_methods import DEFAULT_METHOD, MethodName
from backend.schemas.common import ORMModel
from backend.schemas.jobs import JobOut


class TokenOut(BaseModel):
    i: int
    text: str = Field(description="The token as written in the original text.")
    token: str = Field(description="Normalised (lower-cased) token.")
    start: int = Field(description="Character span [start, end) in the original text.")
    end: int
    is_oov: bool
    beyond_max_length: bool = Field(description="Past the model's max length: not seen, so no score.")
    attribution: list[float] | None = Field(
        default=None, description="Score toward each class (index = class): attribution[1] is 'positive ↑'.")
    counterfactual_probabilities: list[float] | None = Field(
        default=None, description="Counterfactual: class probabilities with this word removed or replaced.",
    )


class Faithfulness(BaseModel):
    """ERASER comprehensiveness/sufficiency as AOPC over the top-k% bins, and a random ranking's."""

    percents: list[int]
    comprehensiveness: float
    sufficiency: float
    comprehensiveness_at: list[float]
    sufficiency_at: list[float]
    random_comprehensiveness: float
    random_sufficiency: float


class AnalysisResult(BaseModel):
    method: MethodName
    params: dict[str, Any]
    classes: list[str]
    prediction: int
    probabilities: list[float]
    tokens: list[TokenOut]
    token_count: int
    visible_count: int = Field(description="Tokens the model saw (at most max_length).")
    max_length: int
    convergence_delta: float | None = None
    n_steps: int | None = Field(default=None, description="Integrated Gradients: the steps finally used.")
    extras: dict[str, Any] = {}
    faithfulness: Faithfulness
    timing: dict[str, float] = Field(description="Seconds: attribution, faithfulness, total.")


class AnalysisOut(AnalysisResult):
    id: int | None = Field(description="None for a what-if that was not stored.")
    version_id: int
    epoch: int
    sample_id: int | None
    cached: bool = Field(default=False, description="Served from the cache without computing.")
    created_at: datetime | None = None


class _Target(BaseModel):
    method: MethodName = DEFAULT_METHOD
    params: dict[str, Any] = {}
    epoch: int | None = Field(default=None, ge=1, description="Default: the latest checkpoint.")


class AnalysisRequest(_Target):
    sample_id: int | None = None
    text: str | None = Field(default=None, description="What-if: analyze this text, not a stored sample.")
    store: bool = Field(default=False, description="Keep a what-if result (stored samples are always kept).")

    @model_validator(mode="after")
    def _one_source(self) -> AnalysisRequest:
        if (self.sample_id is None) == (self.text is None):
            raise ValueError("give exactly one of sample_id or text")
        return self


class BatchAnalysisRequest(_Target):
    sample_ids: list[int] = Field(min_length=1, max_length=5000)


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
