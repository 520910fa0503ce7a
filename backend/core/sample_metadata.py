"""A custom dataset's per-sample metadata, read from the samples' JSON `meta` in one pass.

Numeric columns become float arrays by sample index (NaN where a sample has none). String columns are
categories: the most frequent MAX_CATEGORIES values are kept, by sample index, and the rarer ones count
with the missing ones, so that a column of free text (an id, a URL) cannot flood a legend or a payload.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db.models import Sample

MAX_CATEGORIES = 24


@dataclass(frozen=True)
class CategoryColumn:
    values: list[str]  # the kept values, most frequent first (ties alphabetical)
    codes: npt.NDArray[np.int16]  # by sample index: position in `values`, -1 when missing or rarer
    distinct: int  # distinct values in the column, kept or not


@dataclass(frozen=True)
class Metadata:
    numeric: dict[str, npt.NDArray[np.float32]]
    categorical: dict[str, CategoryColumn]


def read_metadata(session: Session, dataset_id: int, numeric: list[str], categorical: list[str],
                  n: int) -> Metadata:
    """The named columns for sample indices 0..n-1."""
    values = {name: np.full(n, np.nan, dtype=np.float32) for name in numeric}
    words: dict[str, list[str | None]] = {name: [None] * n for name in categorical}
    if numeric or categorical:
        for i, meta in session.execute(select(Sample.index, Sample.meta).where(Sample.dataset_id == dataset_id)):
            if i >= n or not meta:
                continue
            for name in numeric:
                v = meta.get(name)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    values[name][i] = v
            for name in categorical:
                w = meta.get(name)
                if isinstance(w, str):
                    words[name][i] = w
    return Metadata(numeric=values, categorical={name: categories(w) for name, w in words.items()})


def categories(words: list[str | None]) -> CategoryColumn:
    counts = Counter(w for w in words if w is not None)
    kept = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CATEGORIES]]
    position = {w: k for k, w in enumerate(kept)}
    codes = np.fromiter((position.get(w, -1) if w is not None else -1 for w in words), dtype=np.int16,
                        count=len(words))
    return CategoryColumn(values=kept, codes=codes, distinct=len(counts))


def metadata_kinds(columns: dict[str, str]) -> tuple[list[str], list[str]]:
    """A dataset's metadata column names: (numeric, categorical), each in the dataset's order."""
    return ([name for name, kind in columns.items() if kind == "number"],
            [name for name, kind in columns.items() if kind != "number"])
