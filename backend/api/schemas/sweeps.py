from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.api.ids import DatasetId
from backend.api.schemas.bounded_json import Hyperparameters, SweepSpace
from backend.core.specs.architectures import DEFAULT_ARCHITECTURE

# What ranks a sweep's trials: validation only, so that the chosen trial's test figure stays a held-out
# estimate. Per trial, val_* are at the epoch validation picks (backend/api/services/epoch_selection.py),
# best_val_* the best over its epochs (highest accuracy, lowest loss).
TrialMetric = Literal["val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss"]
RANK_METRICS: tuple[str, ...] = TrialMetric.__args__  # type: ignore[attr-defined]
# The table may also be sorted by test (at the same epoch) to look at it, which chooses nothing.
TrialSort = Literal["val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss",
                    "test_accuracy", "test_loss", "trial"]
SweepStatus = Literal["running", "done", "cancelled", "failed"]


class EarlyStopping(BaseModel):
    """Stop a trial when its validation metric has not improved for `patience` epochs in a row."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["val_loss", "val_accuracy"] = "val_loss"
    patience: int = Field(default=2, ge=1, le=100)
    min_delta: float = Field(default=0.0, ge=0.0, description="Smaller changes do not count as improvement")


class SweepCreate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    architecture: str = DEFAULT_ARCHITECTURE
    dataset_id: DatasetId | None = Field(default=None, description="Defaults to the project's latest ready dataset")
    hyperparameters: Hyperparameters = Field(default_factory=dict, description="Shared by every trial")
    space: SweepSpace = Field(description=(
        'Per hyperparameter (or "epochs"): a list of values, {"values": [...]}, or {"min": a, "max": b, '
        '"log": false} (random search only)'))
    strategy: Literal["grid", "random"] = "grid"
    budget: int | None = Field(default=None, ge=1, le=100, description=(
        "Random: the number of trials. Grid: the most trials allowed (default 100)"))
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Draws the trials and seeds every trial's training")
    epochs: int = Field(default=2, ge=1, le=1000, description="Epochs per trial unless the space sets them")
    metric: TrialMetric = Field(default="val_accuracy", description=(
        "What ranks the trials; validation only (test is shown beside it as the held-out estimate)"))
    early_stopping: EarlyStopping | None = None


class TrialOut(BaseModel):
    trial_index: int
    version_id: int
    name: str
    # created | queued | training | trained | failed | cancelled (the version's status)
    status: str
    params: dict[str, Any] = Field(description="The swept values of this trial")
    epochs: int = Field(description="Epochs asked for")
    epochs_done: int
    stopped_early: bool
    job_id: int | None
    error: str | None
    selected_epoch: int | None = Field(description="The epoch every split below is read at")
    selected_by: Literal["val_accuracy", "last_epoch"] | None
    val_accuracy: float | None
    val_loss: float | None
    test_accuracy: float | None = Field(description="Held-out estimate at the epoch validation picks")
    test_loss: float | None
    best_val_accuracy: float | None
    best_val_loss: float | None


class SweepCounts(BaseModel):
    total: int = 0
    queued: int = 0
    training: int = 0
    trained: int = 0
    failed: int = 0
    cancelled: int = 0


class SweepOut(BaseModel):
    id: int
    project_id: int
    dataset_id: int
    name: str
    architecture: str
    base_hyperparameters: dict[str, Any]
    space: dict[str, Any]
    strategy: Literal["grid", "random"]
    budget: int | None
    seed: int
    epochs: int
    metric: TrialMetric
    early_stopping: EarlyStopping | None
    status: SweepStatus = Field(description="Derived from the trials: running while any is queued or training")
    counts: SweepCounts
    best_version_id: int | None = Field(description="The trial with the best `metric` so far")
    best_value: float | None
    created_at: datetime


class SweepDetail(SweepOut):
    sort: TrialSort
    trials: list[TrialOut]
