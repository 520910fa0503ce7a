"""The one shape every dataset source is read into before the shared write path (backend.core.data.importer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DatasetFormatError(ValueError):
    """The input cannot be imported; the message names the file (and row) so a user can act on it."""


@dataclass(frozen=True)
class SourceRecord:
    key: str  # natural id, unique within the dataset: "test/neg/10003_3", "train.csv:12"
    split: str  # train | val | test
    label: str  # class name
    text: str
    # Orders samples within (split, class): the review id, or the row number of a file.
    order: int
    score: int | None = None
    movie_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceData:
    """Everything a source yields: its records, its classes (index = label) and its metadata columns."""

    records: list[SourceRecord]
    classes: list[str]
    # Metadata key -> "number" | "string", for the samples' `meta` (what the map can colour and size by).
    metadata_columns: dict[str, str] = field(default_factory=dict)
