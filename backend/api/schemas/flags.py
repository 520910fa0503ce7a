from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.api.ids import SampleId
from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import FlagSource, FlagState


class FlagPut(BaseModel):
    """The whole flag. A corrected label must be one of the dataset's classes (0..len(classes)-1)."""

    state: FlagState = FlagState.SUSPECTED
    corrected_label: int | None = Field(default=None, ge=0)
    note: str = Field(default="", max_length=10_000)
    source: FlagSource = FlagSource.MANUAL


class FlagPatch(BaseModel):
    """Only the fields given change. `corrected_label: null` clears the correction."""

    state: FlagState | None = None
    corrected_label: int | None = Field(default=None, ge=0)
    note: str | None = Field(default=None, max_length=10_000)
    source: FlagSource | None = None


class FlagOut(ORMModel):
    id: int
    project_id: int
    sample_id: int
    sample_key: str = ""
    split: str = ""
    label: int = 0
    label_name: str = ""
    state: FlagState
    corrected_label: int | None
    corrected_name: str | None = None
    note: str
    source: FlagSource
    actor: str
    revision: int
    created_at: datetime
    updated_at: datetime


class FlagLookup(BaseModel):
    """A sample's flag, or none: asking about an unflagged sample is an ordinary answer, not an error."""

    flag: FlagOut | None = Field(description="null when the sample is not flagged")


class FlagEventOut(ORMModel):
    id: int
    sample_id: int
    batch_id: str
    action: Literal["create", "update", "delete", "undo"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    undone_by: int | None
    undo_of: int | None
    created_at: datetime


class BulkFlagRequest(BaseModel):
    """Flag (create or overwrite) or unflag many samples at once; one batch id, undone as a whole."""

    action: Literal["flag", "unflag"] = "flag"
    sample_ids: list[SampleId] = Field(min_length=1, max_length=100_000)
    state: FlagState = FlagState.SUSPECTED
    corrected_label: int | None = Field(default=None, ge=0)
    note: str = Field(default="", max_length=10_000)
    source: FlagSource = FlagSource.MANUAL


class BulkResult(BaseModel):
    batch_id: str
    changed: int = Field(description="Samples whose flag changed (unchanged ones record no event)")
    sample_ids: list[int]


class UndoResult(BaseModel):
    batch_id: str
    reverted_event_ids: list[int]
    flags: list[FlagOut] = Field(description="The flags after the undo (absent samples are unflagged)")
