from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import JobKind, JobState


class JobOut(ORMModel):
    id: int
    # A JobKind; the row of a job from another Lensboard version may name a kind this one does not know.
    kind: JobKind | str
    state: JobState
    progress: float
    message: str
    error: str | None
    project_id: int | None
    version_id: int | None
    dataset_id: int | None
    celery_task_id: str | None
    params: dict[str, Any]
    detail: dict[str, Any]
    result: dict[str, Any]
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
