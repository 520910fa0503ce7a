from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.api.ids import DatasetId
from backend.api.schemas.bounded_json import Hyperparameters, SweepSpace
from backend.core.specs.architectures import DEFAULT_ARCHITECTURE

# What ranks a sweep's trials: validation only, so that the chosen trial's test figure stays a held-out
# estimate. Per trial, val_* are at the epoch validation picks (backend/core/epoch_selection.py),
# best_val_* the best over its epochs (highest accuracy, lowest loss).
TrialMetric = Literal["val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss"]
RANK_METRICS: tuple[str, ...] = TrialMetric.__args__  # type: ignore[attr-defined]
# The table may also be sorted by test (at the same epoch) to look at it, which chooses nothing.
TrialSort = Literal["val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss",
                    "test_accuracy", "test_loss", "trial"]
Strategy = Literal["grid", "random", "bayes"]
SweepStatus = Literal["running", "done", "cancelled", "failed"]


class EarlyStopping(BaseModel):
    """Stop a trial when its validation metric has not improved for `patience` epochs in a row."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["val_loss", "val_accuracy"] = "val_loss"
    patience: int = Field(default=2, ge=1, le=100)
    min_delta: float = Field(default=0.0, ge=0.0, description="Smaller changes do not count as improvement")


class Pruning(BaseModel):
    """Median pruning (Optuna's MedianPruner rule): after each epoch past the warm-up, stop a trial whose
    best validation metric so far is worse than the median, at that epoch, of the sweep's completed trials
    (accuracy, or loss for a loss-ranked sweep), once `min_trials` of them reached that epoch."""

    model_config = ConfigDict(extra="forbid")

    warmup_epochs: int = Field(default=0, ge=0, le=1000,
                               description="Epochs every trial trains before it may be pruned")
    min_trials: int = Field(default=2, ge=1, le=100, description="Completed trials needed before any is pruned")


class SweepCreate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    architecture: str = DEFAULT_ARCHITECTURE
    dataset_id: DatasetId | None = Field(default=None, description="Defaults to the project's latest ready dataset")
    hyperparameters: Hyperparameters = Field(default_factory=dict, description="Shared by every trial")
    space: SweepSpace = Field(description=(
        'Per hyperparameter (or "epochs"): a list of values, {"values": [...]}, or {"min": a, "max": b, '
        '"log": false} (random or Bayesian search)'))
    strategy: Strategy = Field(default="grid", description=(
        "grid: every combination; random: independent draws; bayes: each trial asked from Optuna's TPE "
        "sampler once earlier trials have reported"))
    budget: int | None = Field(default=None, ge=1, le=100, description=(
        "Random and bayes: the number of trials. Grid: the most trials allowed (default 100)"))
    parallel: int | None = Field(default=None, ge=1, le=16, description=(
        "Bayes only: trials training at once, each asked when one finishes (default 1: every trial learns "
        "from all earlier ones)"))
    startup_trials: int | None = Field(default=None, ge=1, le=100, description=(
        "Bayes only: random trials before TPE proposes (default: a third of the budget, 2 to 10)"))
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Draws the trials and seeds every trial's training")
    epochs: int = Field(default=2, ge=1, le=1000, description="Epochs per trial unless the space sets them")
    metric: TrialMetric = Field(default="val_accuracy", description=(
        "What ranks the trials; validation only (test is shown beside it as the held-out estimate)"))
    early_stopping: EarlyStopping | None = None
    pruning: Pruning | None = Field(default=None, description="Stop trials that fall behind (any strategy)")


class TrialOut(BaseModel):
    trial_index: int
    version_id: int
    name: str
    # created | queued | training | trained | failed | cancelled (the version's status), or pruned (a
    # trained version whose training the sweep's pruning stopped)
    status: str
    params: dict[str, Any] = Field(description="The swept values of this trial")
    epochs: int = Field(description="Epochs asked for")
    epochs_done: int
    stopped_early: bool
    pruned: bool
    pruned_at_epoch: int | None = Field(description="The last epoch a pruned trial trained")
    proposed_by: Literal["grid", "random", "tpe"] | None = Field(description=(
        "How the trial's values were chosen (a Bayesian sweep's first trials are random)"))
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
    pruned: int = 0


class SweepOut(BaseModel):
    id: int
    project_id: int
    dataset_id: int
    name: str
    architecture: str
    base_hyperparameters: dict[str, Any]
    space: dict[str, Any]
    strategy: Strategy
    budget: int | None
    parallel: int | None = Field(description="Bayes: trials training at once")
    startup_trials: int | None = Field(description="Bayes: random trials before TPE proposes")
    stopped: str | None = Field(description="Bayes: why the sweep asked no further trial before its budget")
    seed: int
    epochs: int
    metric: TrialMetric
    early_stopping: EarlyStopping | None
    pruning: Pruning | None
    status: SweepStatus = Field(description=(
        "Derived from the trials: running while any is queued or training, or a Bayesian sweep has trials "
        "left to ask"))
    counts: SweepCounts
    best_version_id: int | None = Field(description="The trial with the best `metric` so far")
    best_value: float | None
    created_at: datetime


class SweepDetail(SweepOut):
    sort: TrialSort
    trials: list[TrialOut]
