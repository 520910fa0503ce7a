"""An evaluated epoch's results as columns, from which any page of the samples table is assembled in memory.

Per sample of the epoch: its loss, p_positive, p_label, and its prediction with whether it is right, 28 bytes
a row (28 MB for a million samples; 8 more when the ids have gaps), read once per (version, epoch, stamp)
from sample_result. A page is then the order's 50 ids (backend/api/services/sample_order.py), their
positions here and in the dataset's rows file (backend/api/services/dataset_rows.py), each sample's encoded
part from that file followed by its result written from these columns: no database round trip, whatever
the offset. The bytes are those of the route's
Pydantic models (the floats are written by Pydantic itself; tests compare many pages with the models').

An evaluated epoch's results only change when the epoch is evaluated again, which gives it a new stamp (see
sample_order), so a table never goes stale: a new stamp is another key. `capacity` tables are kept per
process, least recently used dropped first.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import TypeAdapter
from pydantic_core import to_json
from sqlalchemy import BigInteger, Float, Select, cast, select
from sqlalchemy.orm import Session

from backend.api.services.dataset_rows import DatasetRows, SampleIndex
from backend.api.services.lru import LruCache
from backend.api.services.sample_order import Order
from backend.api.services.sample_rows import page_body
from backend.core.class_names import class_name
from backend.core.db.models import SampleResult

CHUNK = 100_000  # results read at a time (without COPY)
FLOAT_COLUMNS = (SampleResult.loss, SampleResult.p_positive, SampleResult.p_label)
# PostgreSQL's binary COPY of (bigint, 3 x double precision, bigint): a 19-byte header (no extension), then
# per row a field count and each field's length and big-endian value.
COPY_HEADER = 19
COPY_ROW = np.dtype([("fields", ">i2"), ("n0", ">i4"), ("id", ">i8"), ("n1", ">i4"), ("loss", ">f8"), ("n2", ">i4"),
                     ("pp", ">f8"), ("n3", ">i4"), ("pl", ">f8"), ("n4", ">i4"), ("prediction", ">i8")])
# A row's result after `"result":` is `{"epoch":E,"loss":L,"p_positive":P,"p_label":Q` and this, which also
# closes the row; the fields in SampleResultOut's order.
TAIL = b',"prediction":%d,"prediction_name":%b,"correct":%b,"probabilities":null}}'
ROW_PIECES = 9  # see EpochTable._layout
_floats = TypeAdapter(list[float]).dump_json  # as SampleResultOut writes them (NaN and infinities: null)


@dataclass
class EpochTable:
    epoch: int
    classes: list[str]
    rows: DatasetRows
    index: SampleIndex  # of the sample ids, ascending
    # Per sample, in id order: (loss, p_positive, p_label) side by side, so that a row is one cache line
    # away, and its prediction and whether it is right, as `prediction * 2 + correct`.
    floats: npt.NDArray[np.float64]  # (n, 3)
    outcome: npt.NDArray[np.int32] | npt.NDArray[np.int64]
    _tails: list[bytes] | None = None
    _layouts: dict[int, list[bytes]] = field(default_factory=dict)

    def page(self, order: Order, offset: int, limit: int) -> bytes | None:
        """The page of `order` (sample ids), or None when one of its samples is not in the table or the file."""
        ids = order[offset:offset + limit]
        at, pos = self.index.locate(ids), self.rows.index.locate(ids)
        if at is None or pos is None:
            return None
        n = len(at)
        written = _floats(self.floats[at].ravel().tolist())[1:-1].split(b",") if n else []
        # The page is one join of pieces laid out by slices, not formatted row by row: a million-row table
        # is answered thousands of times a second, and per-row Python work was most of a page's time.
        pieces = list(self._layout(n))
        pieces[1::ROW_PIECES] = self.rows.parts(pos)
        pieces[3::ROW_PIECES] = written[0::3]
        pieces[5::ROW_PIECES] = written[1::3]
        pieces[7::ROW_PIECES] = written[2::3]
        pieces[8::ROW_PIECES] = self._tail(self.outcome[at].tolist())
        return page_body([b"".join(pieces)], len(order), offset, limit)

    def _layout(self, n: int) -> list[bytes]:
        """A page of n rows as pieces, the constant ones in place: (separator, sample part, `{"epoch":E,
        "loss":`, loss, `,"p_positive":`, p_positive, `,"p_label":`, p_label, the rest of the result)."""
        layout = self._layouts.get(n)
        if layout is None:
            head = b'{"epoch":%d,"loss":' % self.epoch
            layout = self._layouts[n] = [b",", b"", head, b"", b',"p_positive":', b"", b',"p_label":', b"", b""] * n
            if n:
                layout[0] = b""
        return layout

    def _tail(self, outcomes: list[int]) -> list[bytes]:
        """Each row's result after p_label: its prediction, the class's name and whether it is right."""
        tails = self._tails
        if tails is None:
            tails = self._tails = [tail(k, right, self.classes) for k in range(len(self.classes)) for right in (0, 1)]
        if all(0 <= o < len(tails) for o in outcomes):
            return [tails[o] for o in outcomes]
        return [tail(o >> 1, o & 1, self.classes) for o in outcomes]  # a prediction beyond the dataset's classes


def tail(prediction: int, correct: int, classes: list[str]) -> bytes:
    return TAIL % (prediction, to_json(class_name(classes, prediction)), b"true" if correct else b"false")


def load_table(session: Session, version_id: int, epoch: int, classes: list[str], rows: DatasetRows) -> EpochTable:
    """The epoch's results as columns."""
    ids, floats, prediction = _results(session, version_id, epoch)
    # A sample missing from the rows file (never, but then its page goes to the database) counts as wrong.
    pos = np.clip(np.searchsorted(rows.index.ids, ids) if rows.index.ids is not None else ids - rows.index.first,
                  0, max(rows.index.count - 1, 0))
    labels = rows.labels[pos] if rows.index.count else np.full(len(ids), -1)
    outcome = prediction * 2 + (prediction == labels)
    small = not len(outcome) or (outcome.min() >= np.iinfo(np.int32).min and outcome.max() <= np.iinfo(np.int32).max)
    return EpochTable(epoch=epoch, classes=classes, rows=rows, index=SampleIndex.of(ids), floats=floats,
                      outcome=outcome.astype(np.int32) if small else outcome)


Columns = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]


def _results(session: Session, version_id: int, epoch: int) -> Columns:
    """(sample ids ascending, their (loss, p_positive, p_label), their predictions)."""
    query = (select(cast(SampleResult.sample_id, BigInteger), *(cast(c, Float(53)) for c in FLOAT_COLUMNS),
                    cast(SampleResult.prediction, BigInteger))
             .where(SampleResult.version_id == version_id, SampleResult.epoch == epoch))
    columns = _copied(session, query) if session.get_bind().dialect.name == "postgresql" else None
    if columns is None:
        columns = _fetched(session, query)
    ids, floats, prediction = columns
    if len(ids) and not bool((ids[1:] > ids[:-1]).all()):
        order = np.argsort(ids, kind="stable")
        ids, floats, prediction = ids[order], floats[order], prediction[order]
    return ids, floats, prediction


def _copied(session: Session, query: Select[*tuple[Any, ...]]) -> Columns | None:
    """PostgreSQL: the columns through a binary COPY, read by numpy at once. A million rows of the ORM's
    tuples took 12 s of a loaded machine, the COPY 3 s (the server's share) and its reading 0.04 s. None if
    the data is not laid out as expected (then the caller fetches rows)."""
    sql = str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    data = bytearray()
    with dbapi.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
        for chunk in copy:
            data += chunk
    body = memoryview(data)[COPY_HEADER:len(data) - 2]  # the trailer is a field count of -1
    if bytes(data[:11]) != b"PGCOPY\n\xff\r\n\0" or bytes(data[15:19]) != bytes(4) or len(body) % COPY_ROW.itemsize:
        return None
    table = np.frombuffer(body, dtype=COPY_ROW)
    if not (bool((table["fields"] == 5).all())
            and all(bool((table[f"n{i}"] == 8).all()) for i in range(5))):  # no NULL, every value 8 bytes
        return None
    return (table["id"].astype(np.int64), np.column_stack([table[c].astype(np.float64) for c in ("loss", "pp", "pl")]),
            table["prediction"].astype(np.int64))


def _fetched(session: Session, query: Select[*tuple[Any, ...]]) -> Columns:
    """Any database: the rows CHUNK at a time (never a million row objects at once)."""
    ids, floats, predictions = [], [], []
    for part in session.connection().execute(query.execution_options(yield_per=CHUNK)).partitions():
        columns = list(zip(*part, strict=True))
        ids.append(np.asarray(columns[0], dtype=np.int64))
        floats.append(np.column_stack([np.asarray(c, dtype=np.float64) for c in columns[1:4]]))
        predictions.append(np.asarray(columns[4], dtype=np.int64))
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty((0, 3)), np.empty(0, dtype=np.int64)
    return np.concatenate(ids), np.concatenate(floats), np.concatenate(predictions)


class EpochTables:
    """Tables per (version, epoch, stamp)."""

    def __init__(self, capacity: int = 4) -> None:
        self._cache: LruCache[EpochTable] = LruCache(capacity)

    def peek(self, key: Hashable) -> EpochTable | None:
        return self._cache.peek(key)

    def get(self, key: Hashable, load: Callable[[], EpochTable]) -> EpochTable:
        return self._cache.get_or_load(key, load)

    def clear(self) -> None:
        self._cache.clear()


epoch_tables = EpochTables()
