from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.api.schemas.jobs import JobOut
from backend.api.schemas.versions import VersionOut


class RetrainRequest(BaseModel):
    mode: Literal["relabel", "exclude"] = Field(
        description="relabel: apply the corrected labels (confirmed flags without one are removed); "
                    "exclude: drop the sample of every confirmed flag")
    epochs: int | None = Field(default=None, ge=1, le=1000, description="Default: the parent's epochs")
    name: str | None = Field(default=None, max_length=200)


class RetrainOut(BaseModel):
    version: VersionOut
    job: JobOut
    excluded: int
    relabelled: int
    outside_train: int = Field(description="Confirmed flags on val/test samples (training only fixes train)")
