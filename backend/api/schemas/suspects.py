from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.api.schemas.common import ORMModel


class SuspectsRequest(BaseModel):
    folds: int = Field(default=5, ge=2, le=20, description="K of the K-fold cross-validation on train")
    epoch: int | None = Field(default=None, ge=1, description="Default: the version's latest epoch. The fold "
                              "models train this many epochs; val/test use the version at this epoch")


class RankingOut(ORMModel):
    id: int
    version_id: int
    job_id: int | None
    epoch: int
    folds: int
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
    score: float = Field(description="Combined suspicion in [0, 1]")
    reason: str
    p_positive: float = Field(description="Out-of-sample p(class 1)")
    loss: float = Field(description="Out-of-sample cross-entropy against the label")
    label_issue: bool = Field(description="cleanlab's find_label_issues verdict")
    fold: int | None = Field(description="The fold model that scored it (train only)")
    signals: dict[str, float | None]
    flag_state: str | None


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
