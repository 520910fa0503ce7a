"""The one shape every dataset source is read into before the shared write path (backend.core.data.importer)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Any

MAX_CLASS_CHARS = 100
CLASS_NAME_RULE = (f"a class name has letters, digits, '_', '-', '.' and spaces, at most {MAX_CLASS_CHARS} "
                   "characters, and no '/', '\\', '..' or leading dot")


class DatasetFormatError(ValueError):
    """The input cannot be imported; the message names the file (and row) so a user can act on it."""


def error_reason(e: BaseException) -> str:
    """What an I/O or decoding error says, for a user: without the server path an OSError names, and without
    the bytes that gzip's BadGzipFile quotes from the file."""
    if isinstance(e, gzip.BadGzipFile):
        return "not gzip-compressed data"
    if isinstance(e, OSError):
        return e.strerror or type(e).__name__
    return str(e) or type(e).__name__


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


def class_name_ok(name: str) -> bool:
    """A class name is also a folder name in the cleaned dataset's archive (`aclImdb/train/<class>/...`),
    so it must be one plain path component there: see CLASS_NAME_RULE."""
    return (0 < len(name) <= MAX_CLASS_CHARS and not name.startswith(".") and ".." not in name
            and all(c.isalnum() or c in "_-. " for c in name))
