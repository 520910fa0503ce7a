"""Flags changed through the API, with what every sample's flag and history must be afterwards.

A test makes its changes through a FlagLedger, at whatever moments it likes (before a job, while a
worker runs it, while it is orphaned), then `verify()` checks that the API still shows each flag
exactly as last set, and each sample's history with every change in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

FIELDS = ("state", "corrected_label", "note", "source")


@dataclass
class _Event:
    action: str
    before: dict[str, Any] | None
    undone: bool = False


@dataclass
class FlagLedger:
    client: TestClient
    project_id: int
    expected: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    events: dict[int, list[_Event]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/api/projects/{self.project_id}/flags"

    def put(self, sample_id: int, state: str, note: str = "", corrected_label: int | None = None) -> None:
        r = self.client.put(f"{self.url}/{sample_id}",
                            json={"state": state, "note": note, "corrected_label": corrected_label})
        assert r.status_code == 200, r.text
        self._record(sample_id, {"state": state, "corrected_label": corrected_label, "note": note,
                                 "source": "manual"})

    def patch(self, sample_id: int, **changes: Any) -> None:
        current = self.expected.get(sample_id)
        assert current is not None, f"sample {sample_id} is not flagged"
        r = self.client.patch(f"{self.url}/{sample_id}", json=changes)
        assert r.status_code == 200, r.text
        self._record(sample_id, {**current, **changes})

    def delete(self, sample_id: int) -> None:
        r = self.client.delete(f"{self.url}/{sample_id}")
        assert r.status_code == 204, r.text
        self._record(sample_id, None)

    def bulk(self, sample_ids: list[int], state: str, note: str = "") -> None:
        r = self.client.post(f"{self.url}/bulk", json={"sample_ids": sample_ids, "state": state, "note": note})
        assert r.status_code == 200, r.text
        for sid in sample_ids:
            self._record(sid, {"state": state, "corrected_label": None, "note": note, "source": "manual"})

    def undo(self, sample_id: int) -> None:
        r = self.client.post(f"{self.url}/{sample_id}/undo")
        assert r.status_code == 200, r.text
        last = next(e for e in reversed(self.events[sample_id]) if not e.undone and e.action != "undo")
        last.undone = True
        self.events[sample_id].append(_Event("undo", self.expected.get(sample_id)))
        self.expected[sample_id] = last.before

    def _record(self, sample_id: int, new: dict[str, Any] | None) -> None:
        before = self.expected.get(sample_id)
        if before == new:
            return  # the API records no event for a change to the same state
        action = "delete" if new is None else "create" if before is None else "update"
        self.events.setdefault(sample_id, []).append(_Event(action, before))
        self.expected[sample_id] = new

    def verify(self) -> None:
        """Every flag as last set (none lost, none resurrected), every history complete and in order."""
        page = self.client.get(self.url, params={"limit": 5000}).json()
        shown = {f["sample_id"]: {k: f[k] for k in FIELDS} for f in page["items"]}
        assert page["total"] == len(shown)
        assert shown == {sid: flag for sid, flag in self.expected.items() if flag is not None}
        for sid, events in self.events.items():
            history = self.client.get(f"{self.url}/{sid}/history").json()
            assert [e["action"] for e in history] == [e.action for e in events], (sid, history)
            last = history[-1]["after"]
            want = self.expected[sid]
            assert (None if last is None else {k: last[k] for k in FIELDS}) == want, (sid, history)
            undone = [e["undone_by"] is not None for e in history if e["action"] != "undo"]
            assert undone == [e.undone for e in events if e.action != "undo"], (sid, history)
