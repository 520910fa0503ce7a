from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import Split

# The samples table's query vocabulary (with backend.core.vocabulary.Split): the route's parameters and its
# fast path both read these.
SortKey = Literal["loss", "p_positive", "score", "index", "token_count"]
SortOrder = Literal["asc", "desc"]
MAX_PAGE = 1000


class SampleMeta(ORMModel):
    id: int
    index: int
    key: str
    split: Split
    label: int
    label_name: str = ""
    score: int | None
    movie_id: str | None
    word_count: int
    token_count: int
    oov_count: int
    truncated: bool


class SampleResultOut(BaseModel):
    epoch: int
    loss: float
    p_positive: float
    p_label: float
    prediction: int
    correct: bool


class SampleRow(SampleMeta):
    preview: str
    # Per-sample metadata of a custom dataset (the dataset's `metadata_columns`); IMDB keeps its review id.
    meta: dict[str, Any] = {}
    result: SampleResultOut | None = None


class SampleDetail(SampleMeta):
    text: str
    meta: dict[str, Any]
    dataset_id: int
    classes: list[str]
    # Results of the requested version across all its evaluated epochs.
    results: list[SampleResultOut] = []
