from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, Field, ValidationError

from backend.api.schemas.common import ORMModel
from backend.core.vocabulary import Split

# The samples table's query vocabulary (with backend.core.vocabulary.Split): the route's parameters and its
# fast path both read these.
SortKey = Literal["loss", "p_positive", "score", "index", "token_count"]
SortOrder = Literal["asc", "desc"]
MAX_PAGE = 1000


class SamplesQuery(BaseModel):
    """The samples table's query string. The route reads its parameters with this model and its fast path
    (backend/api/samples_fast_path.py) parses the raw query with `parse_samples_query`, the same model: a
    spelling the route refuses is never served from memory, and one it accepts means the same page."""

    epoch: int | None = Field(default=None, ge=1)
    split: Split | None = None
    label: int | None = Field(default=None, ge=0)
    score: int | None = Field(default=None, ge=1, le=10)
    min_score: int | None = Field(default=None, ge=1, le=10)
    max_score: int | None = Field(default=None, ge=1, le=10)
    correct: bool | None = None
    sort: SortKey = "loss"
    order: SortOrder = "desc"
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)

    @property
    def filtered(self) -> bool:
        """Whether the query filters on more than the split (the cached orders have none of those)."""
        return any(v is not None for v in (self.label, self.score, self.min_score, self.max_score, self.correct))


def parse_samples_query(query_string: bytes) -> SamplesQuery | None:
    """The query, or None when the route would refuse it or when a name repeats (the route keeps the last
    value; that is its to answer)."""
    fields: dict[str, str] = {}
    for name, raw in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in fields:
            return None
        fields[name] = raw
    try:
        return SamplesQuery.model_validate(fields)
    except ValidationError:
        return None


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
    # The predicted class's name (the dataset's classes), so no reader has to map indices itself.
    prediction_name: str = ""
    correct: bool
    # Every class's probability, in the dataset's class order: only in one sample's detail, and only for three or
    # more classes (two are p_positive's complement); null for an epoch that kept none.
    probabilities: list[float] | None = None


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
