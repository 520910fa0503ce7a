"""Streamed exports: the flags (CSV, JSONL) and the cleaned dataset (Stanford tar.gz, CSV).

Each generator reads the database in chunks and yields bytes as it goes, so a 50k-review export
never sits in memory whole. The cleaned dataset is the original with the project's confirmed
flags applied: a corrected label moves the review to its new class, a removal drops it.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.api.services.csv_cells import SafeCsvWriter
from backend.api.services.flags import confirmed_fixes, suspected_fixes
from backend.core.data.archives import plain_member_name
from backend.core.data.records import class_name_ok
from backend.core.db.models import Dataset, Flag, Sample
from backend.core.vocabulary import Split

CHUNK = 500
FLAG_COLUMNS = ("sample_id", "key", "split", "label", "state", "corrected_label", "note", "source", "actor",
                "revision", "created_at", "updated_at")
CLEAN_COLUMNS = ("sample_id", "key", "split", "label", "label_name", "original_label", "score", "movie_id",
                 "text")
_STANFORD_KEY = re.compile(r"^(?:train|test|val)/[^/]+/(\d+)_(\d+)$")


def _rows(session: Session, q: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    """Page through a query by keyset on the first column (stable under concurrent writes)."""
    last = -1
    while True:
        page = session.execute(q.where(q.selected_columns[0] > last).limit(CHUNK)).all()
        if not page:
            return
        yield from page
        last = page[-1][0]


def _flag_query(project_id: int) -> Select[*tuple[Any, ...]]:
    return (select(Flag.sample_id, Sample.key, Sample.split, Sample.label, Flag.state, Flag.corrected_label,
                   Flag.note, Flag.source, Flag.actor, Flag.revision, Flag.created_at, Flag.updated_at)
            .join(Sample, Sample.id == Flag.sample_id)
            .where(Flag.project_id == project_id).order_by(Flag.sample_id))


def _flag_dict(row: Any) -> dict[str, Any]:
    d = dict(zip(FLAG_COLUMNS, row, strict=True))
    d["created_at"] = d["created_at"].isoformat()
    d["updated_at"] = d["updated_at"].isoformat()
    return d


def flags_csv(session: Session, project_id: int) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(FLAG_COLUMNS)
    for row in _rows(session, _flag_query(project_id)):
        d = _flag_dict(row)
        writer.writerow(["" if d[c] is None else d[c] for c in FLAG_COLUMNS])
        if buf.tell() > 64_000:
            yield _drain(buf)
    yield _drain(buf)


def flags_jsonl(session: Session, project_id: int) -> Iterator[bytes]:
    for row in _rows(session, _flag_query(project_id)):
        yield (json.dumps(_flag_dict(row), ensure_ascii=False) + "\n").encode()


def _drain(buf: io.StringIO) -> bytes:
    data = buf.getvalue().encode()
    buf.seek(0)
    buf.truncate()
    return data


@dataclass(frozen=True)
class CleaningPlan:
    """What a cleaned export changes: confirmed flags always apply; suspected (unreviewed) ones as chosen."""

    relabel: dict[int, int]
    removed: frozenset[int]
    confirmed_relabelled: int
    confirmed_removed: int
    suspected: int
    suspected_mode: str  # keep | drop | relabel
    suspected_relabelled: int

    def summary(self) -> str:
        """One line for the response header (and the dashboard): what was done, in counts."""
        what = {"keep": "kept as labelled", "drop": "dropped",
                "relabel": f"kept, {self.suspected_relabelled} with the suggested label"}[self.suspected_mode]
        return (f"confirmed flags: {self.confirmed_relabelled} relabelled, {self.confirmed_removed} removed; "
                f"suspected (unreviewed) flags: {self.suspected} {what}")


def cleaning_plan(session: Session, project_id: int, dataset_id: int, suspected: str) -> CleaningPlan:
    relabel, removals = confirmed_fixes(session, project_id, dataset_id)
    s_relabel, s_removals, s_count = suspected_fixes(session, project_id, dataset_id, suspected)
    return CleaningPlan(relabel={**s_relabel, **relabel}, removed=frozenset(removals) | frozenset(s_removals),
                        confirmed_relabelled=len(relabel), confirmed_removed=len(removals), suspected=s_count,
                        suspected_mode=suspected, suspected_relabelled=len(s_relabel))


def _clean_samples(session: Session, dataset: Dataset, plan: CleaningPlan) -> Iterator[tuple[Sample, int]]:
    """(sample, label after corrections) for every sample that the plan does not remove."""
    last = -1
    while True:
        page = session.scalars(
            select(Sample).where(Sample.dataset_id == dataset.id, Sample.index > last)
            .order_by(Sample.index).limit(CHUNK)
        ).all()
        if not page:
            return
        for s in page:
            if s.id not in plan.removed:
                yield s, plan.relabel.get(s.id, s.label)
        last = page[-1].index
        session.expunge_all()  # keep memory flat over 50k reviews


def _class_name(dataset: Dataset, label: int) -> str:
    return dataset.classes[label] if label < len(dataset.classes) else str(label)


def stanford_path(sample: Sample, label_name: str) -> str:
    """aclImdb/{split}/{class}/{id}_{score}.txt; validation reviews go back to train, where they came from."""
    split = Split.TEST if sample.split == Split.TEST else Split.TRAIN
    hit = _STANFORD_KEY.match(sample.key)
    # A key that is not IMDB's keeps the Stanford shape with the row index as id.
    stem = f"{hit[1]}_{hit[2]}" if hit is not None else f"{sample.index}_{sample.score or 0}"
    return f"aclImdb/{split}/{label_name}/{stem}.txt"


class _Sink(io.RawIOBase):
    """A write-only file that tarfile streams into and the generator drains."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.chunks.append(bytes(b))
        return len(b)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def unsafe_class(dataset: Dataset) -> int | None:
    """The index of the first class whose name cannot be a folder of the cleaned archive (a dataset imported
    before class names were checked at import), or None."""
    return next((i for i, name in enumerate(dataset.classes) if not class_name_ok(name)), None)


def cleaned_targz(session: Session, dataset: Dataset, plan: CleaningPlan) -> Iterator[bytes]:
    """Stanford's layout; every member name is checked to be a plain relative path as it is written."""
    sink = _Sink()
    now = time.time()
    with tarfile.open(fileobj=sink, mode="w|gz") as tf:
        for sample, label in _clean_samples(session, dataset, plan):
            data = sample.text.encode("utf-8")
            info = tarfile.TarInfo(plain_member_name(stanford_path(sample, _class_name(dataset, label))))
            info.size = len(data)
            info.mtime = int(now)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
            if sum(len(c) for c in sink.chunks) > 64_000:
                yield sink.take()
    yield sink.take()


def cleaned_csv(session: Session, dataset: Dataset, plan: CleaningPlan) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(CLEAN_COLUMNS)
    for s, label in _clean_samples(session, dataset, plan):
        writer.writerow([s.id, s.key, s.split, label, _class_name(dataset, label), s.label,
                         "" if s.score is None else s.score, s.movie_id or "", s.text])
        if buf.tell() > 64_000:
            yield _drain(buf)
    yield _drain(buf)
