"""Every sample's part of its samples-table row, encoded once per dataset into one file that is memory-mapped.

A row's sample part (fields, label name, preview, metadata: backend/api/services/sample_rows.py) is the same at
every epoch of every version on the dataset, and a dataset's samples never change once it is ready. At a
million samples these parts are some 600 MB, too much to hold per process and epoch, so they are written once
per host into `<data dir>/cache/sample-rows/` and read through a memory map: the kernel's page cache holds
the parts that pages ask for, shared by every API process, and gives them back under memory pressure.

The file, all integers little-endian int64:

    parts (utf-8 JSON, one after another) | ids[n] (ascending) | labels[n] | offsets[n + 1] | n | MAGIC

A file is written by a background thread of the first API process that needs it (under an flock, so the
processes of a host write it once), into a temporary name that is renamed when complete: a reader never
sees half a file. Its name holds what would make it wrong: the dataset's id and creation time, its classes
(label names are in the parts) and the database, so a dataset created again, or another database under the
same data folder, gets a file of its own. Until the file exists the route encodes its pages' rows from the
database, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import threading
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.api.services.lru import LruCache
from backend.api.services.sample_rows import sample_columns, sample_part
from backend.core.db.models import Dataset, Sample
from backend.core.settings import get_settings

log = logging.getLogger(__name__)

MAGIC = b"LBROWS01"
CHUNK = 10_000  # samples read and encoded at a time while the file is written
RETRY_AFTER_S = 60.0  # a failed write is tried again by a request this long after


@dataclass(frozen=True)
class SampleIndex:
    """Where sample ids are in an ascending array of unique ids. Ids with no gaps (as an import numbers a
    dataset's samples) are found by a subtraction and need no array: 50 binary searches in a million ids
    cost some 1,000 cache misses, most of a page's time."""

    first: int
    count: int
    ids: npt.NDArray[np.int64] | None  # None when the ids are first, first + 1, ..., first + count - 1

    @classmethod
    def of(cls, ids: npt.NDArray[np.int64]) -> SampleIndex:
        dense = not len(ids) or int(ids[-1]) - int(ids[0]) == len(ids) - 1
        return cls(int(ids[0]) if len(ids) else 0, len(ids), None if dense else ids)

    def locate(self, ids: npt.NDArray[np.int64] | npt.NDArray[np.int32]) -> npt.NDArray[np.int64] | None:
        """The positions of `ids`, or None when one of them is not there."""
        wanted = ids.astype(np.int64, copy=False)
        if not len(wanted):
            return np.empty(0, dtype=np.int64)
        if self.ids is None:
            pos = wanted - self.first
            return pos if pos.min() >= 0 and pos.max() < self.count else None
        pos = np.searchsorted(self.ids, wanted)
        if pos.max() >= self.count or not np.array_equal(self.ids[pos], wanted):
            return None
        return pos


@dataclass(frozen=True)
class DatasetRows:
    """A dataset's rows file, mapped."""

    index: SampleIndex
    labels: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    data: mmap.mmap

    def parts(self, pos: npt.NDArray[np.int64]) -> list[bytes]:
        """The samples' parts at these positions."""
        data = self.data
        return [data[a:b] for a, b in zip(self.offsets[pos].tolist(), self.offsets[pos + 1].tolist(), strict=True)]


def open_rows(path: Path) -> DatasetRows:
    with path.open("rb") as f:
        # Mapped whole at once (MAP_POPULATE, from the page cache where the file is): otherwise each page's
        # first read in each process is a page fault, some 100,000 of them for a million samples.
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        data = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    size = len(data)
    if size < 16 or data[size - 8:] != MAGIC:
        raise ValueError(f"{path} is not a rows file")
    n = int.from_bytes(data[size - 16:size - 8], "little")
    arrays = size - 16 - 8 * (3 * n + 1)

    def array(i: int, count: int) -> npt.NDArray[np.int64]:
        return np.frombuffer(data, dtype="<i8", count=count, offset=arrays + 8 * n * i)

    return DatasetRows(index=SampleIndex.of(array(0, n)), labels=array(1, n), offsets=array(2, n + 1), data=data)


def write_rows(session: Session, dataset_id: int, classes: list[str], path: Path) -> None:
    """Encode every sample of the dataset into `path` (a new file), CHUNK samples at a time."""
    # Machine integers, not a million Python ints each (which would stay in the process's heap after).
    ids, labels, offsets = array("q"), array("q"), array("q", [0])
    with path.open("wb") as f:
        rows = session.execute(select(*sample_columns()).where(Sample.dataset_id == dataset_id)
                               .order_by(Sample.id).execution_options(yield_per=CHUNK))
        for row in rows:
            part = sample_part(row, classes)
            f.write(part)
            ids.append(row.id)
            labels.append(row.label)
            offsets.append(offsets[-1] + len(part))
        for values in (ids, labels, offsets):
            f.write(np.frombuffer(values, dtype=np.int64).astype("<i8").tobytes())
        f.write(len(ids).to_bytes(8, "little") + MAGIC)
        f.flush()
        os.fsync(f.fileno())


def rows_path(session: Session, dataset: Dataset) -> Path:
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    facts = "\0".join([url, *(dataset.classes or [])]).encode()
    digest = hashlib.sha256(facts).hexdigest()[:16]
    created = int(dataset.created_at.timestamp() * 1e6)
    return get_settings().data_dir / "cache" / "sample-rows" / f"dataset-{dataset.id}-{created}-{digest}.rows"


class DatasetRowsStore:
    """The rows files that this process has mapped (least recently used unmapped first), and their writers."""

    def __init__(self, capacity: int = 8) -> None:
        self._open: LruCache[DatasetRows] = LruCache(capacity)
        self._lock = threading.Lock()
        self._writers: dict[Path, threading.Thread] = {}
        self._failed: dict[Path, float] = {}

    def get(self, session: Session, dataset_id: int) -> DatasetRows | None:
        """The dataset's rows, or None while its file is being written (which this call starts if needed)."""
        dataset = session.get(Dataset, dataset_id)
        if dataset is None or dataset.status != "ready":
            return None
        path = rows_path(session, dataset)
        found = self._open.peek(path)
        if found is not None:
            return found
        if path.exists():
            return self._open.get_or_load(path, lambda: open_rows(path))
        self._start(session, dataset, path)
        return None

    def _start(self, session: Session, dataset: Dataset, path: Path) -> None:
        with self._lock:
            if path in self._writers or time.monotonic() < self._failed.get(path, 0.0):
                return
            engine = session.get_bind().engine
            thread = threading.Thread(target=self._write, args=(engine, dataset.id, list(dataset.classes), path),
                                      name=f"sample-rows-{dataset.id}", daemon=True)
            self._writers[path] = thread
        thread.start()

    def _write(self, engine: Engine, dataset_id: int, classes: list[str], path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.with_suffix(".lock").open("ab") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process of this host may be writing it
                if not path.exists():
                    started = time.perf_counter()
                    tmp = path.with_suffix(f".tmp-{os.getpid()}")
                    try:
                        with Session(bind=engine) as session:
                            write_rows(session, dataset_id, classes, tmp)
                        os.replace(tmp, path)
                    finally:
                        tmp.unlink(missing_ok=True)
                    log.info("wrote the samples table's rows of dataset %d in %.1f s", dataset_id,
                             time.perf_counter() - started)
        except Exception:
            log.exception("could not write the samples table's rows of dataset %d", dataset_id)
            with self._lock:
                self._failed[path] = time.monotonic() + RETRY_AFTER_S
        finally:
            with self._lock:
                self._writers.pop(path, None)

    def forget(self, path: Path) -> None:
        """A deleted dataset's file: unmapped here (pages still being read keep their own reference to the
        map) and removed from this host, after any writer of it has finished."""
        with self._lock:
            writer = self._writers.get(path)
        if writer is not None:
            writer.join()
        self._open.discard(path)
        path.unlink(missing_ok=True)
        path.with_suffix(".lock").unlink(missing_ok=True)

    def wait(self, timeout: float = 60.0) -> None:
        """Until the files being written are (for tests, and before a database they read goes away)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                writers = list(self._writers.values())
            if not writers:
                return
            for thread in writers:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return

    def clear(self) -> None:
        self.wait()
        with self._lock:
            self._failed.clear()
        self._open.clear()


dataset_rows = DatasetRowsStore()
