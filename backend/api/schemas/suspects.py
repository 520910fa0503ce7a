from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import SPLITS, Split


class SuspectsRequest(BaseModel):
    splits: list[Split] = Field(default_factory=lambda: list(SPLITS), min_length=1, max_length=3,
                                description="The splits to rank. Only train needs fold models (K of them); "
                                "val and test are scored by the version itself, which never trained on them")
    folds: int = Field(default=5, ge=2, le=20, description="K of the K-fold cross-validation on train "
                       "(unused when train is not among the splits)")
    epoch: int | None = Field(default=None, ge=1, description="Default: the version's latest epoch. The fold "
                              "models train this many epochs; val/test use the version at this epoch")

    @field_validator("splits")
    @classmethod
    def _distinct(cls, v: list[Split]) -> list[Split]:
        if len(set(v)) != len(v):
            raise ValueError("a split is named twice")
        return [s for s in SPLITS if s in v]  # one canonical order


class RankingOut(ORMModel):
    id: int
    version_id: int
    job_id: int | None
    epoch: int
    folds: int = Field(description="Fold models trained for the train split (0 when train was not ranked)")
    splits: list[str] = Field(description="The splits this ranking scored")
    status: str
    method: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


class SuspectOut(BaseModel):
    rank: int = Field(description="1 = most suspect within the split")
    sample_id: int
    key: str
    split: str
    label: int
    label_name: str = Field(description="The label's class name")
    suggested_label: int | None = Field(description="The most likely other class, out of sample (what a "
                                        "reviewer would relabel it to)")
    suggested_name: str | None
    p_suggested: float | None = Field(description="Out-of-sample probability of the suggested class")
    score: float = Field(description="Combined suspicion in [0, 1]")
    reason: str
    p_positive: float = Field(description="Out-of-sample p(class 1)")
    loss: float = Field(description="Out-of-sample cross-entropy against the label")
    label_issue: bool = Field(description="cleanlab's find_label_issues verdict")
    fold: int | None = Field(description="The fold model that scored it (train only)")
    signals: dict[str, float | None]
    flag_state: str | None
    flag_source: str | None = Field(description="Who raised the flag: manual, ranking or insight")


class FeedbackOut(BaseModel):
    """The model of the reviewers' decisions that ordered this page (`feedback=true`)."""

    weights: dict[str, float] = Field(description="Per signal, on its percentile rank within the split")
    confirmed: int
    dismissed: int


class RankingStatus(BaseModel):
    """Whether a version has a suspect ranking to list, so a client asks for the list only when it does."""

    status: Literal["none", "running", "done"] = Field(
        description="none: never ranked (or every ranking failed); running: a ranking is being computed and "
                    "none has finished; done: `ranking` can be listed")
    ranking: RankingOut | None = Field(description="The latest finished ranking")
    job_id: int | None = Field(description="The job of a ranking still being computed")


class SuspectPage(BaseModel):
    ranking: RankingOut
    items: list[SuspectOut]
    total: int
    offset: int
    limit: int
    feedback: FeedbackOut | None = Field(default=None, description="Set when the reviewers' decisions "
                                         "ordered the page; null for the stored order")


class ReviewCounts(BaseModel):
    confirmed: int = Field(description="Suspects a reviewer confirmed as mislabelled")
    dismissed: int = Field(description="Suspects a reviewer rejected (the label is right)")
    precision: float | None = Field(description="confirmed / (confirmed + dismissed); null before any decision")


class ThresholdEstimate(BaseModel):
    precision: float = Field(description="Estimated share of the passing samples that are mislabelled")
    precision_source: Literal["reviews", "benchmark"]
    recall: float = Field(description="Estimated share of the split's mislabels that pass")
    recall_source: Literal["reviews", "benchmark"]
    benchmark: str = Field(description="What the benchmark figures were measured on")


class SuspectSummary(BaseModel):
    """How much work a score threshold leaves a reviewer, and how good the list has proved so far."""

    ranking: RankingOut
    split: Split
    threshold: float
    total: int = Field(description="Ranked samples of the split")
    passing: int = Field(description="Of them, scored at or above the threshold")
    reviewed: ReviewCounts = Field(description="Decisions on the split's suspects so far (precision so far "
                                   "among reviewed)")
    reviewed_passing: ReviewCounts = Field(description="The same, at or above the threshold")
    estimate: ThresholdEstimate | None = Field(description="Precision and recall at the threshold; each from "
                                               "the reviewers' decisions once there are enough, else from the "
                                               "synthetic benchmark; null for an empty split")
