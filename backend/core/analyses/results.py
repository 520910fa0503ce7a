"""What an analysis computes: the attribution of each token, the prediction and the faithfulness checks.

The worker computes and stores `AnalysisResult`; `AnalysisOut` adds its identity, as the API serves it and
as a what-if that is not stored travels in its job's result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from backend.core.specs.analysis_methods import MethodName


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
