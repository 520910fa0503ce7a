"""Two first-time flags of one sample at the same moment on PostgreSQL: last write wins, none lost."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.services import flags as svc
from backend.core.db.models import Flag, FlagEvent
from backend.core.db.session import make_engine, make_session_factory
from tests.support.flag_data import make_project_dataset


def test_racing_first_flags_both_land_in_history(pg_url: str) -> None:
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    d = make_project_dataset(factory, "race")
    sid = d.sample_ids["train"][0]
    inserted = threading.Barrier(2)
    errors: list[BaseException] = []

    def flag(state: str, insert_first: bool) -> None:
        """The first thread inserts, then lets the second one start while its insert is uncommitted."""
        try:
            with factory() as s:
                attempts = []

                def work() -> object:
                    event = svc.apply_change(s, d.project_id, sid, {"state": state}, actor=state,
                                             batch_id=svc.new_batch_id())
                    attempts.append(1)
                    if insert_first and len(attempts) == 1:
                        inserted.wait(timeout=5)
                    return event

                if not insert_first:
                    inserted.wait(timeout=5)
                svc.commit_with_retry(s, work)
        except BaseException as e:  # surfaced by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=flag, args=("suspected", True)),
               threading.Thread(target=flag, args=("confirmed", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    with Session(engine) as s:
        flags = s.scalars(select(Flag).where(Flag.sample_id == sid)).all()
        events = s.scalars(select(FlagEvent).where(FlagEvent.sample_id == sid).order_by(FlagEvent.id)).all()
    assert len(flags) == 1
    assert sorted(e.actor for e in events) == ["confirmed", "suspected"]
    assert flags[0].state == events[-1].after["state"]  # type: ignore[index]
    assert [e.action for e in events] == ["create", "update"]
    engine.dispose()
