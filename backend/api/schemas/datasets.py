"""Datasets: API shapes. The options an import job runs with are backend.core.specs.imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from backend.api.schemas.common import ORMModel
from backend.core.specs.imports import CustomImportOptions, SourceFormat


class DatasetImportRequest(CustomImportOptions):
    path: str = Field(min_length=1, description=(
        "A server-side file or folder under the import roots (administrators only; others upload): a .csv or "
        ".jsonl file, a folder of them (train.csv, valid.csv, test.csv), a .zip or .tar.gz of those, or a folder "
        "in Stanford's layout (<split>/<class>/<id>_<score>.txt)"))
    format: SourceFormat | None = Field(default=None, description="Detected from the path when left out")


class DatasetOut(ORMModel):
    id: int
    project_id: int
    name: str
    kind: str
    source: str
    status: str
    error: str | None
    classes: list[str]
    # Per-sample metadata keys (in each sample's `meta`) and their type: what the map can colour and size by.
    metadata_columns: dict[str, Literal["number", "string"]] = {}
    config: dict[str, Any]
    stats: dict[str, Any]
    num_samples: int
    created_at: datetime
