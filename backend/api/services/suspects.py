"""Reading stored suspect rankings (the worker writes them; see worker/mislabels/store.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.services.csv_cells import SafeCsvWriter
from backend.core.class_names import class_name
from backend.core.db.models import SuspectRanking, SuspectScore

# The first six are the original columns (scripts read them by position); the rest came with class names
# and multi-class suggestions.
CSV_COLUMNS = ("sample_id", "score", "reason", "label", "p_positive", "loss", "split", "label_name",
               "suggested_label", "suggested_name", "p_suggested")


def latest_ranking(session: Session, version_id: int, *, done: bool = True,
                   split: str | None = None) -> SuspectRanking | None:
    """The newest ranking of the version (finished unless `done` is False), or the newest that covers
    `split`: ranking val alone later must not hide an earlier ranking of train."""
    q = select(SuspectRanking).where(SuspectRanking.version_id == version_id)
    if done:
        q = q.where(SuspectRanking.status == "done")
    # A version has a handful of rankings; `splits` lives in JSON, so it is checked here, not in SQL.
    for ranking in session.scalars(q.order_by(SuspectRanking.id.desc())):
        if split is None or split in ranking.splits:
            return ranking
    return None


def suspects_csv(session: Session, ranking_id: int, split: str | None,
                 classes: Sequence[str]) -> Iterator[bytes]:
    """CSV_COLUMNS for every ranked sample of the split, most suspect first."""
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(CSV_COLUMNS)
    q = (select(SuspectScore.sample_id, SuspectScore.score, SuspectScore.reason, SuspectScore.label,
                SuspectScore.p_positive, SuspectScore.loss, SuspectScore.split, SuspectScore.suggested_label,
                SuspectScore.p_suggested)
         .where(SuspectScore.ranking_id == ranking_id)
         .order_by(SuspectScore.score.desc(), SuspectScore.sample_id))
    if split is not None:
        q = q.where(SuspectScore.split == split)
    for row in session.execute(q.execution_options(yield_per=2000)):
        suggested, p_suggested = row[7], row[8]
        writer.writerow([row[0], f"{row[1]:.6f}", row[2], row[3], f"{row[4]:.6f}", f"{row[5]:.6f}", row[6],
                         class_name(classes, row[3]), "" if suggested is None else suggested,
                         class_name(classes, suggested), "" if p_suggested is None else f"{p_suggested:.6f}"])
        if buf.tell() > 64_000:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()
