from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from backend.api.schemas.common import ORMModel
from backend.core.jobs.lanes import lane_of
from backend.core.jobs.titles import job_title
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
    title: str = Field(default="", description='What a person calls the job, e.g. "Mislabel ranking: fold 2 of 5"')
    lane: str = Field(default="", description="The queue the job runs from: interactive (what a person waits "
                      "for: analyses, maps) or bulk (imports, training, mislabel folds)")
    position: int | None = Field(default=None, description="For a queued job whose message waits in its lane: "
                                 "1 for the next one a worker takes. None when running, finished, or unknown")

    @model_validator(mode="after")
    def _derived(self) -> JobOut:
        self.lane = self.lane or lane_of(self.kind)
        self.title = self.title or job_title(self.kind, self.params)
        return self
