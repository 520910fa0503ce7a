"""The per-sample fields of a version that charts can plot and the map can colour by."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FieldKind = Literal["number", "category"]
FieldSource = Literal["result", "sample", "meta"]


class FieldOut(BaseModel):
    name: str = Field(description="Id of the field: `loss`, `score`, ... or `meta:<column>` for a metadata column")
    title: str
    kind: FieldKind
    source: FieldSource = Field(description="result: the epoch's per-sample result; sample: the sample itself; "
                                            "meta: a custom dataset's metadata column (`meta` of each sample)")
    categories: list[str] | None = Field(
        default=None, description="Category fields: the values, most frequent first for metadata (at most 24)")
    distinct: int | None = Field(default=None, description="Category fields: how many distinct values there are")


class VersionFieldsOut(BaseModel):
    version_id: int
    dataset_id: int
    fields: list[FieldOut]
