"""The order of an epoch's samples, kept in memory so that any page of the samples table is a slice.

OFFSET costs as many index entries as it skips: a page deep in 50k samples read ~25k of them per
request. An evaluated epoch's results do not change, except when its epoch is evaluated again, which
rewrites its EpochMetric rows in the same transaction; so the rows' creation time is the cache key's
stamp, and a rewritten epoch is simply another key. Epochs without metrics rows are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from backend.api.services.lru import LruCache
from backend.core.db.models import EpochMetric, SampleResult

Key = tuple[object, ...]
Order = npt.NDArray[np.int64] | npt.NDArray[np.int32]


def epoch_stamp(session: Session, version_id: int, epoch: int | None) -> tuple[int | None, datetime | None]:
    """(the epoch, when its results were written: its metrics rows' creation, None without metrics rows).
    With epoch None, the latest evaluated epoch (None if there is none), found in the same statement."""
    chosen: Any = (literal(epoch) if epoch is not None else
                   select(func.max(SampleResult.epoch)).where(SampleResult.version_id == version_id)
                   .scalar_subquery())
    stamp = (select(func.max(EpochMetric.created_at))
             .where(EpochMetric.version_id == version_id, EpochMetric.epoch == chosen).scalar_subquery())
    row = session.execute(select(chosen, stamp)).one()
    return (int(row[0]) if row[0] is not None else None), row[1]


class SampleOrderCache:
    """Sorted sample ids per (version, epoch, stamp, split, sort, order); least recently used dropped."""

    def __init__(self, capacity: int = 32) -> None:
        # Ids as int32 where they fit (they do in PostgreSQL's `integer` keys): 32 orders of a million ids,
        # 128 MB at most.
        self._cache: LruCache[Order] = LruCache(capacity)

    def get(self, key: Key, load: Callable[[], list[int]]) -> Order:
        return self._cache.get_or_load(key, lambda: _compact(np.asarray(load(), dtype=np.int64)))

    def peek(self, key: Key) -> Order | None:
        return self._cache.peek(key)


def _compact(ids: npt.NDArray[np.int64]) -> Order:
    small = np.iinfo(np.int32)
    return ids.astype(np.int32) if not len(ids) or (ids.min() >= small.min and ids.max() <= small.max) else ids


sample_orders = SampleOrderCache()
