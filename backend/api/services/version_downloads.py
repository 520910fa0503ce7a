"""A version's downloadable records: its metrics as CSV and its per-sample results as Parquet.

The checkpoint needs no service: the API streams the stored file as it is (torch never loads here).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.services.csv_cells import SafeCsvWriter
from backend.core.db.models import BatchMetric, EpochMetric, Sample, SampleResult

MetricsKind = Literal["epoch", "batch"]

EPOCH_COLUMNS = ("epoch", "split", "loss", "accuracy", "count", "seconds")
BATCH_COLUMNS = ("step", "epoch", "batch", "loss", "accuracy", "size")

# One Parquet row group per chunk: the response starts before the last rows are read, and memory
# stays at one chunk of Python rows however many epochs are exported.
ROW_GROUP = 50_000

RESULT_SCHEMA = pa.schema([
    pa.field("sample_id", pa.int64()),
    pa.field("key", pa.string()),  # the natural id, e.g. "test/neg/10003_3"
    pa.field("split", pa.string()),
    pa.field("label", pa.int16()),
    pa.field("epoch", pa.int32()),
    pa.field("loss", pa.float64()),
    pa.field("p_positive", pa.float64()),
    pa.field("p_label", pa.float64()),
    pa.field("prediction", pa.int16()),
    pa.field("correct", pa.bool_()),
    pa.field("score", pa.int16()),  # the reviewer's 1-10, null when unknown
    pa.field("token_count", pa.int32()),
])
RESULT_COLUMNS = tuple(RESULT_SCHEMA.names)


def metrics_csv(session: Session, version_id: int, kind: MetricsKind) -> Iterator[bytes]:
    """Every epoch (per split) or every batch of the version, in training order, with a header row; read
    and sent in chunks (a long training run has hundreds of thousands of batches)."""
    columns = EPOCH_COLUMNS if kind == "epoch" else BATCH_COLUMNS
    model: Any = EpochMetric if kind == "epoch" else BatchMetric
    order = (EpochMetric.epoch, EpochMetric.split) if kind == "epoch" else (BatchMetric.step,)
    result = session.execute(
        select(*(getattr(model, c) for c in columns)).where(model.version_id == version_id).order_by(*order)
        .execution_options(yield_per=ROW_GROUP))
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(columns)
    for rows in result.partitions():
        writer.writerows(rows)
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue().encode()


def _result_query(version_id: int, epoch: int | None) -> Any:
    q = (select(SampleResult.sample_id, Sample.key, Sample.split, Sample.label, SampleResult.epoch,
                SampleResult.loss, SampleResult.p_positive, SampleResult.p_label, SampleResult.prediction,
                Sample.score, Sample.token_count)
         .join(Sample, Sample.id == SampleResult.sample_id)
         .where(SampleResult.version_id == version_id))
    if epoch is not None:
        q = q.where(SampleResult.epoch == epoch)
    # The primary key's order: no sort of the whole result set.
    return q.order_by(SampleResult.epoch, SampleResult.sample_id)


def _record_batch(rows: list[Any]) -> pa.RecordBatch:
    (sample_id, key, split, label, epoch, loss, p_pos, p_label, pred, score, tokens) = (
        list(c) for c in zip(*rows, strict=True))
    correct = [p == lab for p, lab in zip(pred, label, strict=True)]
    columns = (sample_id, key, split, label, epoch, loss, p_pos, p_label, pred, correct, score, tokens)
    return pa.RecordBatch.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, RESULT_SCHEMA, strict=True)],
        schema=RESULT_SCHEMA)


class _Sink(io.RawIOBase):
    """A write-only file that the Parquet writer fills and the generator drains as it goes."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.chunks.append(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:  # the writer records row-group offsets from it
        return self.position

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def results_parquet(session: Session, version_id: int, epoch: int | None, classes: list[str]) -> Iterator[bytes]:
    """The version's per-sample results at one epoch (None: every epoch), one query read in chunks.

    The file's metadata names the version and its class names (`label` and `prediction` index them)."""
    metadata = {"lensboard.version_id": str(version_id), "lensboard.classes": json.dumps(classes)}
    sink = _Sink()
    with pq.ParquetWriter(sink, RESULT_SCHEMA.with_metadata(metadata), compression="zstd") as writer:
        result = session.execute(_result_query(version_id, epoch).execution_options(yield_per=ROW_GROUP))
        for rows in result.partitions():
            writer.write_batch(_record_batch(list(rows)), row_group_size=ROW_GROUP)
            yield sink.take()
    yield sink.take()
