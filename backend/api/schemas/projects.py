from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backend.api.schemas.bounded_json import StoredUiState, UiState
from backend.api.schemas.common import ORMModel


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    ui_state: UiState | None = Field(default=None, description=(
        "The dashboard's saved state: any JSON object, at most 32 levels deep and 256 KiB"))


class ProjectSummary(BaseModel):
    datasets: int = 0
    samples: int = 0
    versions: int = 0
    last_activity: datetime | None = None


class ProjectOut(ORMModel):
    id: int
    name: str
    description: str
    ui_state: StoredUiState
    created_at: datetime
    updated_at: datetime
    summary: ProjectSummary = ProjectSummary()
