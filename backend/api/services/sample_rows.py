"""The samples table's rows as JSON, encoded once per evaluated epoch, and pages assembled from them.

A row of the table (backend/api/schemas/samples.py: SampleRow) is a pure function of the sample and its result
at one epoch, and an evaluated epoch's results only change when the epoch is evaluated again, which
gives it a new stamp (see sample_order). So a row's JSON can be kept under (version, epoch, stamp), and
a page is the rows' bytes joined: no ORM objects, no validation and no encoding per request. Building
50 SampleRow models and encoding them was most of a samples request's time.

Both ways of answering the samples page build their body here (the route, and the fast path of
backend/api/samples_fast_path.py), so the two cannot drift apart.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from backend.api.schemas.samples import SampleRow
from backend.api.services.lru import LruCache

Key = tuple[Hashable, ...]
_encode = SampleRow.__pydantic_serializer__.to_json


def encode_row(row: SampleRow) -> bytes:
    return _encode(row)


def page_body(rows: Iterable[bytes], total: int, offset: int, limit: int) -> bytes:
    """The JSON of a Page[SampleRow] from its rows' JSON, byte for byte what Pydantic would write."""
    return b'{"items":[%b],"total":%d,"offset":%d,"limit":%d}' % (b",".join(rows), total, offset, limit)


@dataclass
class EpochRows:
    rows: dict[int, bytes] = field(default_factory=dict)
    # Held while rows are fetched and encoded: requests missing the same rows at once (100 connections on
    # a server just started) wait and find them done, instead of each encoding them again.
    filling: threading.Lock = field(default_factory=threading.Lock)


class SampleRowCache:
    """Encoded rows per (version, epoch, stamp); the least recently used epochs are dropped first.

    An IMDB row is about 650 bytes, so a whole epoch of 50k samples is about 32 MB; `capacity` epochs are
    kept per process. Rows are added a stretch at a time as requests ask for them, never all at once."""

    def __init__(self, capacity: int = 3) -> None:
        self._cache: LruCache[EpochRows] = LruCache(capacity)

    def peek(self, key: Key) -> Mapping[int, bytes] | None:
        """The epoch's rows so far, without loading anything (None when none are kept)."""
        entry = self._cache.peek(key)
        return entry.rows if entry is not None else None

    def epoch(self, key: Key) -> EpochRows:
        """The epoch's rows, created empty when missing; callers add the rows they encode."""
        return self._cache.get_or_load(key, EpochRows)

    def clear(self) -> None:
        self._cache.clear()


def cached_rows(rows: Mapping[int, bytes], ids: Sequence[int]) -> list[bytes] | None:
    """Every id's row, or None when one is missing."""
    out = []
    for sid in ids:
        row = rows.get(sid)
        if row is None:
            return None
        out.append(row)
    return out


sample_rows = SampleRowCache()
