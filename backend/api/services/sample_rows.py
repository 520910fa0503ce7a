"""The samples table's rows as JSON: the one place that turns a sample and its result into a row's bytes.

A row of the table (backend/api/schemas/samples.py: SampleRow) is the sample's part (its fields, label name,
preview and metadata, the same at every epoch of every version on its dataset) followed by its result at the
epoch. Rows are written two ways, and both end in the bytes Pydantic writes for a SampleRow:

- here, from the database, a SampleRow model per row (filtered queries, epochs without a stamp, and while a
  dataset's rows file is being written);
- in backend/api/services/epoch_table.py, from the sample's part as `sample_part` encodes it (kept in the
  dataset's rows file, backend/api/services/dataset_rows.py) and the epoch's result columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.schemas.samples import SampleResultOut, SampleRow
from backend.core.class_names import class_name
from backend.core.db.models import Dataset, ModelVersion, Sample, SampleResult

PREVIEW_CHARS = 160
# No more text than a preview can need is read: 1000 characters hold more than PREVIEW_CHARS even with many
# "<br />" removed.
HEAD_CHARS = 1000
META_FIELDS = ("id", "index", "key", "split", "label", "score", "movie_id", "word_count", "token_count",
               "oov_count", "truncated")
# A row without a result ends so; a sample's part is the row up to the result's value.
_NO_RESULT = b'"result":null}'

_encode = SampleRow.__pydantic_serializer__.to_json


def preview(text: str) -> str:
    flat = text.replace("<br />", " ").replace("<br/>", " ")
    return flat[:PREVIEW_CHARS] + ("…" if len(flat) > PREVIEW_CHARS else "")


def meta_fields(sample: Any) -> dict[str, object]:
    """A Sample, or any row with its META_FIELDS columns."""
    return {f: getattr(sample, f) for f in META_FIELDS}


def result_out(r: Any, label: int, classes: list[str]) -> SampleResultOut:
    """A SampleResult, or any row with its columns, as the API's result."""
    return SampleResultOut(epoch=r.epoch, loss=r.loss, p_positive=r.p_positive, p_label=r.p_label,
                           prediction=r.prediction, prediction_name=class_name(classes, r.prediction),
                           correct=r.prediction == label)


def _row(row: Any, classes: list[str], result: SampleResultOut | None) -> SampleRow:
    """A row of `sample_columns()` (with or without the result's columns) as a SampleRow."""
    return SampleRow(**meta_fields(row), label_name=class_name(classes, row.label), preview=preview(row.head),
                     meta=row.meta, result=result)


def sample_columns() -> tuple[Any, ...]:
    """What a row's sample part is made of."""
    return (*(getattr(Sample, f) for f in META_FIELDS), func.substr(Sample.text, 1, HEAD_CHARS).label("head"),
            Sample.meta)


def sample_part(row: Any, classes: list[str]) -> bytes:
    """The row's JSON up to its result's value (`{"id":…,"meta":{…},"result":`), for a row of sample_columns()."""
    encoded = _encode(_row(row, classes, None))
    assert encoded.endswith(_NO_RESULT), "SampleRow's last field must be its result"
    return encoded[:-len(b"null}")]


def page_body(rows: Iterable[bytes], total: int, offset: int, limit: int) -> bytes:
    """The JSON of a Page[SampleRow] from its rows' JSON, byte for byte what Pydantic would write."""
    return b'{"items":[%b],"total":%d,"offset":%d,"limit":%d}' % (b",".join(rows), total, offset, limit)


def rows_from_db(session: Session, version_id: int, ep: int, ids: list[int]) -> list[bytes]:
    """The rows of `ids` at the epoch, in that order, read and encoded one by one."""
    if not ids:
        return []
    result_cols = (SampleResult.epoch, SampleResult.loss, SampleResult.p_positive, SampleResult.p_label,
                   SampleResult.prediction)
    dataset_id = session.scalar(select(ModelVersion.dataset_id).where(ModelVersion.id == version_id))
    dataset = session.get(Dataset, dataset_id)
    classes = dataset.classes if dataset is not None else []
    rows: Mapping[int, bytes] = {
        row.id: _encode(_row(row, classes, result_out(row, row.label, classes)))
        for row in session.execute(
            select(*sample_columns(), *result_cols)
            .join(SampleResult, SampleResult.sample_id == Sample.id)
            .where(SampleResult.version_id == version_id, SampleResult.epoch == ep, Sample.id.in_(ids))
        )
    }
    return [rows[sid] for sid in ids]
