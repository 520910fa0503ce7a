"""The samples table assembled in memory (backend/api/services/epoch_table.py, dataset_rows.py) answers byte
for byte what the API's models write, for any page, sort, order and split; and what a row shows does not
depend on flags, relabels or exclusions, so those never make a page stale."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.api.schemas.common import Page
from backend.api.schemas.samples import SampleResultOut, SampleRow
from backend.api.services.dataset_rows import dataset_rows
from backend.api.services.epoch_table import epoch_tables
from backend.core.artifacts.store import LocalArtifactStore
from backend.core.db.models import Dataset, EpochMetric, Sample, SampleResult
from backend.core.settings import get_settings
from tests.db.test_samples_fast_path import fake_clock
from tests.support.datasets import create_project, insert_dataset
from tests.support.versions import insert_version

CLASSES = ["négatif", 'a "quoted" class', "three\\3"]
# Texts the JSON encoder has to escape or keep as they are: quotes, backslashes, control characters,
# accents and emoji, line breaks of the IMDB kind, and texts around the preview's 160 characters.
PIECES = ['He said "no".', "back\\slash", "tab\there", "bell\x07", "café ☕ 🎬", "<br /><br />", "<br/>x",
          "\u2028line", "plain words", "x" * 150, "ü" * 170]


def _dataset_version(factory: sessionmaker[Session], n: int = 300) -> tuple[int, int]:
    """A dataset of awkward texts and metadata, and a version of it with one evaluated epoch whose results
    include floats of every JSON spelling (tiny, huge, integral, negative zero) and an unknown class."""
    rng = random.Random(7)
    texts = [" ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))) for _ in range(n)]
    labels = [rng.randrange(3) for _ in range(n)]
    splits = [rng.choice(["train", "val", "test"]) for _ in range(n)]
    scores = [rng.choice([None, *range(1, 11)]) for _ in range(n)]
    with factory() as s:
        project = create_project(s, name="bytes")
        dataset = insert_dataset(s, LocalArtifactStore(get_settings().artifacts), project.id, texts, labels, splits,
                                 classes=CLASSES, scores=scores)
        for sample in s.scalars(select(Sample).where(Sample.dataset_id == dataset.id)):
            sample.movie_id = rng.choice([None, "tt001", "ŧŧ\"2"])
            sample.meta = rng.choice([{}, {"review": sample.index, "note": "é\"\\"}, {"x": 1.5, "y": [1, None]}])
        version = insert_version(s, project.id, dataset.id)
        version.epochs_done = 1
        ids = list(s.scalars(select(Sample.id).where(Sample.dataset_id == dataset.id)))
        floats = [0.0, -0.0, 1.0, 1e-7, 1e-5, 2.5e-4, 0.1, 1 / 3, 7.0, 123456.789, 1e15, 1e16, 3e20, 5e-324]
        results = []
        for sid in ids:
            loss = rng.choice(floats) if rng.random() < 0.3 else rng.expovariate(2.0)
            p_label = rng.choice(floats[:6]) if rng.random() < 0.2 else rng.random()
            results.append({"version_id": version.id, "epoch": 1, "sample_id": sid, "loss": loss,
                            "p_positive": rng.random(), "p_label": p_label,
                            "prediction": rng.choice([0, 1, 2, 2, 1, 0, 5])})
        s.execute(SampleResult.__table__.insert(), results)
        for split in ("train", "val", "test"):
            s.add(EpochMetric(version_id=version.id, epoch=1, split=split, loss=0.5, accuracy=0.5, count=1))
        s.commit()
        return dataset.id, version.id


def _models(factory: sessionmaker[Session], vid: int) -> dict[int, SampleRow]:
    """Every row as the API's model, built here from the database."""
    out = {}
    with factory() as s:
        for sample, result in s.execute(select(Sample, SampleResult)
                                        .join(SampleResult, SampleResult.sample_id == Sample.id)
                                        .where(SampleResult.version_id == vid, SampleResult.epoch == 1)):
            classes = s.get_one(Dataset, sample.dataset_id).classes
            flat = sample.text.replace("<br />", " ").replace("<br/>", " ")

            def name(k: int, classes: list[str] = classes) -> str:
                return classes[k] if 0 <= k < len(classes) else str(k)

            out[sample.id] = SampleRow(
                id=sample.id, index=sample.index, key=sample.key, split=sample.split, label=sample.label,
                label_name=name(sample.label), score=sample.score, movie_id=sample.movie_id,
                word_count=sample.word_count, token_count=sample.token_count, oov_count=sample.oov_count,
                truncated=sample.truncated, preview=flat[:160] + ("…" if len(flat) > 160 else ""), meta=sample.meta,
                result=SampleResultOut(epoch=1, loss=result.loss, p_positive=result.p_positive,
                                       p_label=result.p_label, prediction=result.prediction,
                                       prediction_name=name(result.prediction),
                                       correct=result.prediction == sample.label))
    return out


def _expected(models: dict[int, SampleRow], split: str | None, sort: str, order: str) -> list[int] | None:
    """The order the route promises, for the sorts on values that are never null."""
    if sort == "score":
        return None
    chosen = [m for m in models.values() if split is None or m.split == split]
    sign = -1 if order == "desc" else 1

    def value(m: SampleRow) -> float:
        return float(getattr(m.result, sort) if sort in ("loss", "p_positive") else getattr(m, sort))

    return [m.id for m in sorted(chosen, key=lambda m: (sign * value(m), sign * m.id))]


def _body(models: dict[int, SampleRow], ids: list[int], total: int, offset: int, limit: int) -> bytes:
    return Page[SampleRow](items=[models[i] for i in ids], total=total, offset=offset,
                           limit=limit).model_dump_json().encode()


# 30 orders: the process keeps 32 (backend/api/services/sample_order.py).
COMBINATIONS = [(split, sort, order) for split in (None, "train", "test")
                for sort in ("loss", "p_positive", "score", "index", "token_count") for order in ("desc", "asc")]


def test_every_page_from_memory_is_the_models_json(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    fake_clock(client.app)  # type: ignore[arg-type]
    _, vid = _dataset_version(session_factory)
    models = _models(session_factory, vid)
    url = f"/api/versions/{vid}/samples"

    def params(split: str | None, sort: str, order: str, offset: int, limit: int) -> dict[str, Any]:
        return {"sort": sort, "order": order, "offset": offset, "limit": limit, **({"split": split} if split else {})}

    # The route reads every order (before the dataset's rows file exists: rows encoded from the database).
    orders: dict[tuple[str | None, str, str], list[int]] = {}
    for split, sort, order in COMBINATIONS:
        page = client.get(url, params=params(split, sort, order, 0, 1000))
        ids = [item["id"] for item in page.json()["items"]]
        assert page.content == _body(models, ids, len(ids), 0, 1000)
        expected = _expected(models, split, sort, order)
        assert ids == (expected if expected is not None else ids)
        orders[(split, sort, order)] = ids
    dataset_rows.wait()
    assert client.get(url, params={"limit": 1}).status_code == 200  # the route reads the epoch's table
    with session_factory() as s:  # from now on the database cannot answer: every page is from memory
        s.execute(delete(SampleResult).where(SampleResult.version_id == vid))
        s.commit()
    rng = np.random.default_rng(3)
    for _ in range(300):
        split, sort, order = COMBINATIONS[rng.integers(len(COMBINATIONS))]
        ids = orders[(split, sort, order)]
        limit = int(rng.choice([1, 7, 50, 333, 1000]))
        offset = int(rng.integers(0, len(ids) + 5))
        page = client.get(url, params=params(split, sort, order, offset, limit))
        assert page.status_code == 200
        assert page.content == _body(models, ids[offset:offset + limit], len(ids), offset, limit), (split, sort, order)


def test_flags_and_data_fixes_do_not_change_a_row(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """A row shows the dataset's label and the version's own results: a flag (even with a corrected label)
    changes neither, and relabels or exclusions make a new version with results of its own, a table of its own.
    So the only invalidation the table needs is the epoch's stamp (a new evaluation), as before. The
    flag's request itself ends every grant of the process (any state-changing request does), so the next
    page is the route's again."""
    clock = fake_clock(client.app)  # type: ignore[arg-type]
    dataset_id, vid = _dataset_version(session_factory, n=60)
    models = _models(session_factory, vid)
    url = f"/api/versions/{vid}/samples"
    client.get(url)
    dataset_rows.wait()
    before = client.get(url).content
    first = models[client.get(url).json()["items"][0]["id"]]
    with session_factory() as s:
        project_id = s.get_one(Dataset, dataset_id).project_id
    corrected = (first.label + 1) % 3
    flagged = client.put(f"/api/projects/{project_id}/flags/{first.id}",
                         json={"state": "confirmed", "corrected_label": corrected})
    assert flagged.status_code == 200, flagged.text
    assert client.get(url).content == before  # through the route (the flag ended the grant): the same bytes
    with session_factory() as s:
        assert s.scalar(select(Sample.label).where(Sample.id == first.id)) == first.label
        fixed = insert_version(s, project_id, dataset_id,
                               data_fixes={"relabel": {str(first.id): corrected}, "exclude": []})
        fixed.epochs_done = 1
        s.execute(SampleResult.__table__.insert(), [
            {"version_id": fixed.id, "epoch": 1, "sample_id": m.id, "loss": 1.0 + m.index, "p_positive": 0.5,
             "p_label": 0.25, "prediction": corrected} for m in models.values()])
        s.add(EpochMetric(version_id=fixed.id, epoch=1, split="train", loss=0.5, accuracy=0.5, count=1))
        s.commit()
        fixed_id = fixed.id
    page = client.get(f"/api/versions/{fixed_id}/samples", params={"limit": 1000}).json()
    assert [i["id"] for i in page["items"]] == sorted(models, key=lambda i: -models[i].index)
    row = next(i for i in page["items"] if i["id"] == first.id)
    assert row["label"] == first.label and row["result"]["prediction"] == corrected
    assert row["result"]["correct"] is False
    assert row["result"]["loss"] == 1.0 + first.index
    assert client.get(url).content == before  # the first version's table is untouched
    # A new evaluation of the epoch (new results and metrics rows: a new stamp) is what changes a row.
    with session_factory() as s:
        s.execute(update(SampleResult).where(SampleResult.version_id == vid, SampleResult.sample_id == first.id)
                  .values(loss=1e25))
        metrics = s.scalars(select(EpochMetric).where(EpochMetric.version_id == vid)).all()
        again = [EpochMetric(version_id=vid, epoch=1, split=m.split, loss=m.loss, accuracy=m.accuracy, count=m.count)
                 for m in metrics]
        for m in metrics:
            s.delete(m)
        s.flush()
        s.add_all(again)
        s.commit()
    assert client.get(url).content == before  # within the grant's life, the page it granted
    clock.now += 61
    top = client.get(url).json()["items"][0]
    assert top["id"] == first.id and top["result"]["loss"] == 1e25


def test_a_dataset_rows_file_is_written_once_and_read_by_a_new_process(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """The rows file outlives the process that wrote it: a process started later (here: the caches of this
    one emptied) maps it instead of writing it again, and answers the same bytes."""
    fake_clock(client.app)  # type: ignore[arg-type]
    _, vid = _dataset_version(session_factory, n=40)
    url = f"/api/versions/{vid}/samples"
    client.get(url)
    dataset_rows.wait()
    served = client.get(url, params={"offset": 3, "limit": 20}).content
    (written,) = (get_settings().data_dir / "cache" / "sample-rows").glob("*.rows")
    stamp = written.stat().st_mtime_ns
    dataset_rows.clear()
    epoch_tables.clear()
    client.app.state.grants.clear()  # type: ignore[attr-defined]
    assert client.get(url, params={"offset": 3, "limit": 20}).content == served
    assert dataset_rows._open.peek(written) is not None  # mapped at once: no writer was started
    assert written.stat().st_mtime_ns == stamp
