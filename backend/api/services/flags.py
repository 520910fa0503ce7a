"""Flag changes and their history. Every change of a flag goes through `apply_change`, which writes
the new state and one FlagEvent (before/after) in the caller's transaction, so the history can
never disagree with the flags, and undo is "write the event's `before` back".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.db.models import Dataset, Flag, FlagEvent, Sample, SuspectRanking, SuspectScore
from backend.core.vocabulary import FlagSource, FlagState

T = TypeVar("T")

# The fields that make up a flag's state (and thus an event's before/after snapshot).
FLAG_FIELDS = ("state", "corrected_label", "note", "source", "actor")


class FlagError(Exception):
    """Base of the service's errors; the API maps each to an HTTP status."""


class SampleNotInProject(FlagError):
    def __init__(self, sample_ids: Sequence[int], project_id: int) -> None:
        shown = ", ".join(str(i) for i in list(sample_ids)[:10])
        more = f" (and {len(sample_ids) - 10} more)" if len(sample_ids) > 10 else ""
        super().__init__(f"sample {shown}{more} not found in project {project_id}")


class BadLabel(FlagError):
    pass


class NothingToUndo(FlagError):
    pass


class UndoConflict(FlagError):
    pass


def new_batch_id() -> str:
    return uuid.uuid4().hex


def snapshot(flag: Flag | None) -> dict[str, Any] | None:
    return None if flag is None else {f: getattr(flag, f) for f in FLAG_FIELDS}


def samples_in_project(session: Session, project_id: int, sample_ids: Iterable[int]) -> dict[int, Sample]:
    """The samples, all of which must belong to a dataset of the project; else SampleNotInProject."""
    wanted = list(dict.fromkeys(sample_ids))
    found: dict[int, Sample] = {}
    for start in range(0, len(wanted), 1000):  # stay under bind-parameter limits
        chunk = wanted[start:start + 1000]
        rows = session.scalars(
            select(Sample).join(Dataset, Dataset.id == Sample.dataset_id)
            .where(Sample.id.in_(chunk), Dataset.project_id == project_id)
        ).all()
        found.update({s.id: s for s in rows})
    missing = [i for i in wanted if i not in found]
    if missing:
        raise SampleNotInProject(missing, project_id)
    return found


def check_label(session: Session, sample: Sample, label: int | None) -> None:
    if label is None:
        return
    dataset = session.get(Dataset, sample.dataset_id)
    n = len(dataset.classes) if dataset is not None and dataset.classes else 2
    if not 0 <= label < n:
        names = dataset.classes if dataset is not None and dataset.classes else ["0", "1"]
        raise BadLabel(f"corrected_label {label} is not a class of the dataset; "
                       f"choose 0..{n - 1} ({', '.join(names)})")


def get_flag(session: Session, project_id: int, sample_id: int, *, lock: bool = False) -> Flag | None:
    q = select(Flag).where(Flag.project_id == project_id, Flag.sample_id == sample_id)
    if lock:
        q = q.with_for_update()
    return session.scalars(q).first()


def apply_change(
    session: Session, project_id: int, sample_id: int, new: dict[str, Any] | None, *, actor: str,
    batch_id: str, action: str | None = None, undo_of: int | None = None,
) -> FlagEvent | None:
    """Set a sample's flag to `new` (None = unflag) and record the event. None when nothing changed."""
    flag = get_flag(session, project_id, sample_id, lock=True)
    before = snapshot(flag)
    if new is not None:
        new = {f: new.get(f, getattr(flag, f, None) if flag is not None else None) for f in FLAG_FIELDS}
        new["note"] = new["note"] or ""
        new["source"] = new["source"] or FlagSource.MANUAL
        new["actor"] = actor
    if _same(before, new):
        return None
    if new is None:
        assert flag is not None
        session.delete(flag)
        kind = "delete"
    elif flag is None:
        flag = Flag(project_id=project_id, sample_id=sample_id, revision=1, **new)
        session.add(flag)
        kind = "create"
    else:
        for f, v in new.items():
            setattr(flag, f, v)
        flag.revision += 1
        kind = "update"
    event = FlagEvent(project_id=project_id, sample_id=sample_id, batch_id=batch_id, action=action or kind,
                      before=before, after=new, actor=actor, undo_of=undo_of)
    session.add(event)
    session.flush()
    return event


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Equal flag states, ignoring who wrote them (re-saving the same flag is not a change)."""
    if a is None or b is None:
        return a is b
    return all(a.get(f) == b.get(f) for f in FLAG_FIELDS if f != "actor")


def _undoable(session: Session, project_id: int, sample_id: int) -> FlagEvent | None:
    """The sample's latest event that is still in effect: undo walks back one change at a time."""
    return session.scalars(
        select(FlagEvent)
        .where(FlagEvent.project_id == project_id, FlagEvent.sample_id == sample_id,
               FlagEvent.undone_by.is_(None), FlagEvent.action != "undo")
        .order_by(FlagEvent.id.desc())
    ).first()


def _latest_event_id(session: Session, project_id: int, sample_id: int) -> int | None:
    return session.scalar(
        select(FlagEvent.id).where(FlagEvent.project_id == project_id, FlagEvent.sample_id == sample_id)
        .order_by(FlagEvent.id.desc()).limit(1)
    )


def _revert(session: Session, event: FlagEvent, actor: str, batch_id: str) -> FlagEvent:
    undo = apply_change(session, event.project_id, event.sample_id, event.before, actor=actor,
                        batch_id=batch_id, action="undo", undo_of=event.id)
    if undo is None:  # the state already equals `before` (e.g. re-set by hand): still mark it undone
        undo = FlagEvent(project_id=event.project_id, sample_id=event.sample_id, batch_id=batch_id,
                         action="undo", before=event.before, after=event.before, actor=actor,
                         undo_of=event.id)
        session.add(undo)
        session.flush()
    event.undone_by = undo.id
    return undo


def undo_last(session: Session, project_id: int, sample_id: int, actor: str) -> tuple[str, list[int]]:
    """Revert the latest change of one sample's flag that has not been undone yet.

    Undo events are themselves never undone by this (redo is "set it again"), so repeated undos walk
    back through the history. The undone change must still be the flag's effective state: if it was
    part of a bulk operation, only that sample reverts.
    """
    event = _undoable(session, project_id, sample_id)
    if event is None:
        raise NothingToUndo(f"the flag of sample {sample_id} has no change left to undo")
    batch = new_batch_id()
    _revert(session, event, actor, batch)
    return batch, [event.id]


def undo_batch(session: Session, project_id: int, batch_id: str, actor: str) -> tuple[str, list[int]]:
    """Revert a whole bulk operation. 409 (UndoConflict) when one of its flags changed afterwards,
    since replaying `before` would silently throw the later change away."""
    events = session.scalars(
        select(FlagEvent).where(FlagEvent.project_id == project_id, FlagEvent.batch_id == batch_id)
        .order_by(FlagEvent.id)
    ).all()
    if not events:
        raise NothingToUndo(f"no operation {batch_id} in project {project_id}")
    live = [e for e in events if e.undone_by is None and e.action != "undo"]
    if not live:
        raise NothingToUndo(f"operation {batch_id} was already undone")
    later = [e.sample_id for e in live if _latest_event_id(session, project_id, e.sample_id) != e.id]
    if later:
        raise UndoConflict(f"samples {later[:10]} changed after operation {batch_id}; "
                           "undo those changes first")
    batch = new_batch_id()
    for e in live:
        _revert(session, e, actor, batch)
    return batch, [e.id for e in live]


def commit_with_retry(session: Session, work: Callable[[], T]) -> T:
    """Run `work` and commit. Two first-time flags of one sample racing on PostgreSQL: the loser hits
    the (project, sample) unique constraint; running it again turns it into an update of the winner's
    flag (last write wins, both in the history) instead of a 500."""
    try:
        result = work()
        session.commit()
        return result
    except IntegrityError:
        session.rollback()
    result = work()
    session.commit()
    return result


def confirmed_fixes(session: Session, project_id: int, dataset_id: int) -> tuple[dict[int, int], list[int]]:
    """The project's confirmed flags on one dataset as (relabel {sample_id: label}, removals).

    A confirmed flag with a corrected label is a correction; without one it is a removal.
    """
    rows = session.execute(
        select(Flag.sample_id, Flag.corrected_label).join(Sample, Sample.id == Flag.sample_id)
        .where(Flag.project_id == project_id, Flag.state == FlagState.CONFIRMED, Sample.dataset_id == dataset_id)
        .order_by(Flag.sample_id)
    ).all()
    relabel = {sid: int(lab) for sid, lab in rows if lab is not None}
    removals = [sid for sid, lab in rows if lab is None]
    return relabel, removals


def suspected_fixes(session: Session, project_id: int, dataset_id: int,
                    mode: str) -> tuple[dict[int, int], list[int], int]:
    """What the cleaned export does with SUSPECTED (unreviewed) flags: (relabel, removals, how many).

    `keep` leaves them as they are; `drop` removes them; `relabel` moves each to its flag's corrected
    label, else to the latest finished ranking's suggestion for it (the most likely other class), else
    keeps it as it is."""
    rows = session.execute(
        select(Flag.sample_id, Flag.corrected_label).join(Sample, Sample.id == Flag.sample_id)
        .where(Flag.project_id == project_id, Flag.state == FlagState.SUSPECTED, Sample.dataset_id == dataset_id)
        .order_by(Flag.sample_id)
    ).all()
    if mode == "keep" or not rows:
        return {}, [], len(rows)
    if mode == "drop":
        return {}, [sid for sid, _ in rows], len(rows)
    relabel = {sid: int(lab) for sid, lab in rows if lab is not None}
    open_ids = [sid for sid, lab in rows if lab is None]
    if open_ids:
        # The newest suggestion wins: rankings are numbered in the order they were made.
        suggested = session.execute(
            select(SuspectScore.sample_id, SuspectScore.suggested_label)
            .join(SuspectRanking, SuspectRanking.id == SuspectScore.ranking_id)
            .where(SuspectScore.sample_id.in_(open_ids), SuspectRanking.status == "done",
                   SuspectScore.suggested_label.is_not(None))
            .order_by(SuspectRanking.id)
        ).all()
        for sid, lab in suggested:
            if lab is not None:
                relabel[int(sid)] = int(lab)
    return relabel, [], len(rows)
