from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.api.ids import DatasetId
from backend.api.schemas.bounded_json import Hyperparameters
from backend.api.schemas.common import ORMModel
from backend.core.specs.architectures import DEFAULT_ARCHITECTURE


class VersionCreate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    architecture: str = Field(default=DEFAULT_ARCHITECTURE)
    hyperparameters: Hyperparameters = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    dataset_id: DatasetId | None = Field(default=None, description="Defaults to the project's latest ready dataset")


class TrainRequest(BaseModel):
    epochs: int = Field(default=2, ge=1, le=1000, description="Train until this many epochs are done in total")


class EpochSummary(BaseModel):
    epoch: int
    split: str
    loss: float
    accuracy: float


class SelectedMetrics(BaseModel):
    """Every split at one epoch: the one validation picks (highest val accuracy), or the last without a val
    split. Test here is a held-out estimate, never a figure chosen by looking at test."""

    epoch: int
    selected_by: Literal["val_accuracy", "last_epoch"]
    accuracy: dict[str, float] = Field(description="Accuracy per split at that epoch")
    loss: dict[str, float] = Field(description="Loss per split at that epoch")


class VersionOut(ORMModel):
    id: int
    project_id: int
    dataset_id: int
    parent_id: int | None
    name: str
    architecture: str
    hyperparameters: dict[str, Any]
    seed: int
    status: str
    epochs_done: int
    data_fixes: dict[str, Any]
    device: str | None
    created_at: datetime
    updated_at: datetime
    selected: SelectedMetrics | None = Field(default=None, description=(
        "Every split at the epoch validation picks (or the last); null before the first evaluated epoch"))
    sweep_id: int | None = Field(default=None, description="The sweep this version is a trial of, if any")
    trial_index: int | None = Field(default=None, description="Its trial number within that sweep (1-based)")


class VersionGraph(BaseModel):
    version_id: int
    graph: dict[str, Any]
