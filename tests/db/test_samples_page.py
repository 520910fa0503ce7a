"""The samples page under its fast paths: paging on sample_result alone, totals from the epoch's metrics."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import EpochMetric, ModelVersion, SampleResult
from tests.support.versions import dataset_samples, version_with_results


def _expected(rows: dict[int, dict], order: str, split: str | None = None) -> list[int]:
    chosen = [r for r in rows.values() if split is None or r["split"] == split]
    sign = -1 if order == "desc" else 1
    return [r["sample_id"] for r in sorted(chosen, key=lambda r: (sign * r["loss"], sign * r["sample_id"]))]


def test_pages_follow_the_loss_order_with_a_stable_tie_break(client: TestClient,
                                                             session_factory: sessionmaker[Session]) -> None:
    for with_metrics in (True, False):
        vid, rows = version_with_results(session_factory, with_metrics=with_metrics)
        for order in ("desc", "asc"):
            for split in (None, "train", "test"):
                want = _expected(rows, order, split)
                got: list[int] = []
                for offset in range(0, len(want) + 25, 25):
                    params: dict[str, str | int] = {"sort": "loss", "order": order, "offset": offset, "limit": 25}
                    if split:
                        params["split"] = split
                    page = client.get(f"/api/versions/{vid}/samples", params=params).json()
                    assert page["total"] == len(want), (with_metrics, order, split)
                    got += [item["id"] for item in page["items"]]
                    assert all(item["result"]["loss"] == rows[item["id"]]["loss"] for item in page["items"])
                assert got == want, (with_metrics, order, split)
        # The preview is the text's start, cut at 160 characters with an ellipsis.
        for item in client.get(f"/api/versions/{vid}/samples", params={"limit": 50}).json()["items"]:
            text = client.get(f"/api/samples/{item['id']}").json()["text"].replace("<br />", " ")
            assert item["preview"] == (text[:160] + "…" if len(text) > 160 else text)
        # A filter on the sample itself goes through the join and counts what it filters.
        page = client.get(f"/api/versions/{vid}/samples", params={"label": 1, "limit": 5}).json()
        assert page["total"] == sum(1 for r in rows.values() if r["prediction"] == 1)


def test_a_split_with_no_results_counts_zero(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    vid, _ = version_with_results(session_factory, with_metrics=True)
    with session_factory() as s:
        s.query(EpochMetric).filter(EpochMetric.version_id == vid, EpochMetric.split == "val").delete()
        s.query(SampleResult).filter(SampleResult.version_id == vid).filter(
            SampleResult.sample_id.in_([sid for sid, sp, _ in dataset_samples(
                s, s.get_one(ModelVersion, vid).dataset_id) if sp == "val"])).delete()
        s.commit()
    page = client.get(f"/api/versions/{vid}/samples", params={"split": "val"}).json()
    assert page == {"items": [], "total": 0, "offset": 0, "limit": 50}


def test_an_epoch_evaluated_again_is_paged_in_its_new_order(client: TestClient, session_factory: sessionmaker[Session],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The page order is cached per epoch; evaluating the epoch again (new results and metrics rows, as
    the pipeline writes them in one transaction) must not serve the old order once the fast path's
    grant has expired (backend/api/samples_fast_path.py: at most access_cache_seconds)."""
    monkeypatch.setattr(client.app.state.grants, "ttl_s", 0.2)  # type: ignore[attr-defined]
    vid, rows = version_with_results(session_factory, with_metrics=True)
    before = [i["id"] for i in client.get(f"/api/versions/{vid}/samples", params={"limit": 10}).json()["items"]]
    assert before == _expected(rows, "desc")[:10]
    with session_factory() as s:
        metrics = s.query(EpochMetric).filter(EpochMetric.version_id == vid, EpochMetric.epoch == 2).all()
        again = [EpochMetric(version_id=vid, epoch=2, split=m.split, loss=m.loss, accuracy=m.accuracy,
                             count=m.count) for m in metrics]
        for m in metrics:
            s.delete(m)
        s.flush()
        s.add_all(again)
        for r in s.query(SampleResult).filter(SampleResult.version_id == vid, SampleResult.epoch == 2):
            r.loss = 1.0 - r.loss  # the order flips
            rows[r.sample_id]["loss"] = r.loss
        s.commit()
    time.sleep(0.25)
    after = client.get(f"/api/versions/{vid}/samples", params={"limit": 10}).json()
    assert [i["id"] for i in after["items"]] == _expected(rows, "desc")[:10] != before
    assert all(i["result"]["loss"] == rows[i["id"]]["loss"] for i in after["items"])
