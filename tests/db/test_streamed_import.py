"""The streamed import of a large server-side CSV (backend.core.data.streamed_import), on SQLite and
PostgreSQL: it makes exactly the dataset the in-memory import makes of the same file, and a failure part
way (after chunks were committed) leaves nothing behind."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.keys import dataset_prefix
from backend.core.artifacts.store import LocalArtifactStore
from backend.core.data import streamed_import
from backend.core.db.models import Sample
from backend.core.settings import get_settings
from backend.core.text.token_store import load_tokenizer, load_tokens
from tests.support.custom_data import synthetic_rows, write_csv
from tests.support.imports import imported, run_job

TOKENIZER = {"vocab_size": 300, "max_length": 12}  # short rows, so truncation happens too
COLUMNS = ["id", "text", "label", "split", "length", "source", "author"]


@pytest.fixture
def streaming(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every server-side CSV goes to the streamed import, in chunks of 7 rows (several commits)."""
    monkeypatch.setenv("LENSBOARD_STREAM_IMPORT_BYTES", "0")
    monkeypatch.setattr(streamed_import, "CHUNK", 7)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def corpus_rows(n_per_class: int = 30) -> list[dict[str, Any]]:
    """Rows with a split column, an author group, exact copies within and across splits, and a blank author."""
    rng = random.Random(3)
    rows = synthetic_rows(n_per_class, seed=2)
    out = []
    for i, r in enumerate(rows):
        split = "test" if i % 5 == 0 else "train"
        author = "" if i % 11 == 0 else f"a{rng.randrange(15)}"
        out.append({**r, "id": f"r{i}", "split": split, "author": author})
    # Copies: a train copy of a test text (dropped when asked) and two train copies of each other.
    out.append({**out[0], "id": "copy-of-test", "split": "train"})
    out.append({**out[1], "id": "copy-of-train", "split": "train"})
    return out


def sample_rows(factory: sessionmaker[Session], dataset_id: int) -> list[tuple[Any, ...]]:
    with factory() as s:
        rows = s.scalars(select(Sample).where(Sample.dataset_id == dataset_id).order_by(Sample.index)).all()
        return [(r.index, r.key, r.split, r.label, r.text, r.score, r.movie_id, r.word_count, r.token_count,
                 r.oov_count, r.truncated, r.meta) for r in rows]


def import_path(client: TestClient, project_id: int, path: Path, **body: Any) -> Any:
    return client.post(f"/api/projects/{project_id}/datasets/import",
                       json={"path": str(path), "tokenizer": TOKENIZER, **body})


@pytest.mark.parametrize("group_column", [None, "author"])
def test_streamed_import_equals_the_in_memory_import(client: TestClient, project_id: int, data_dir: Path,
                                                     session_factory: sessionmaker[Session],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     group_column: str | None) -> None:
    path = write_csv(data_dir / "imports" / "big.csv", corpus_rows(), COLUMNS)
    body = {"val_size": 0.25, "seed": 4, "drop_cross_split_copies": True, "group_column": group_column}
    in_memory = imported(client, import_path(client, project_id, path, name="whole", **body))
    assert in_memory["config"].get("streamed") is None

    monkeypatch.setenv("LENSBOARD_STREAM_IMPORT_BYTES", "0")
    monkeypatch.setattr(streamed_import, "CHUNK", 7)
    get_settings.cache_clear()
    streamed = imported(client, import_path(client, project_id, path, name="streamed", **body))
    assert streamed["config"]["streamed"] is True

    assert streamed["classes"] == in_memory["classes"] == ["politics", "science", "sports"]
    assert streamed["num_samples"] == in_memory["num_samples"] == 90 + 2 - 1
    assert streamed["stats"] == in_memory["stats"]
    assert streamed["stats"]["duplicates"]["dropped_from_train"] == 1
    assert sample_rows(session_factory, streamed["id"]) == sample_rows(session_factory, in_memory["id"])
    store = LocalArtifactStore(data_dir / "artifacts")
    a, b = load_tokens(store, in_memory["id"]), load_tokens(store, streamed["id"])
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.offsets, b.offsets)


@pytest.mark.usefixtures("streaming")
def test_a_large_train_split_fits_the_vocabulary_on_a_seeded_sample(
        client: TestClient, project_id: int, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(data_dir / "imports" / "big.csv", corpus_rows(), COLUMNS)
    store = LocalArtifactStore(data_dir / "artifacts")

    def vocabulary(name: str, seed: int) -> tuple[dict[str, Any], set[str]]:
        d = imported(client, import_path(client, project_id, path, name=name, seed=seed))
        tok = load_tokenizer(store, d["id"])
        return d, {tok.id_to_token(i) for i in range(tok.vocab_size)}

    full, every_word = vocabulary("all train rows", 4)
    assert full["config"]["vocab_fit_samples"] == full["stats"]["counts"]["train"]["total"]
    monkeypatch.setattr(streamed_import, "VOCAB_FIT_SAMPLE", 10)
    a, sampled = vocabulary("sampled", 4)
    _, same = vocabulary("sampled again", 4)
    _, other_words = vocabulary("another seed", 5)
    assert a["config"]["vocab_fit_samples"] == 10 and a["num_samples"] == full["num_samples"]
    assert sampled == same and sampled != other_words  # seeded
    assert sampled < every_word  # fewer reviews counted, so a smaller vocabulary and more OOV words
    assert a["stats"]["oov_rate"] > full["stats"]["oov_rate"]


def nothing_left(factory: sessionmaker[Session], data_dir: Path, dataset_id: int) -> None:
    assert sample_rows(factory, dataset_id) == []
    assert not LocalArtifactStore(data_dir / "artifacts").exists(dataset_prefix(dataset_id))


@pytest.mark.usefixtures("streaming")
def test_a_repeated_id_after_committed_chunks_leaves_no_half_dataset(
        client: TestClient, project_id: int, data_dir: Path, session_factory: sessionmaker[Session]) -> None:
    rows = corpus_rows()
    rows[-1]["id"] = rows[40]["id"]  # found by the database, chunks after the first ones were committed
    path = write_csv(data_dir / "imports" / "big.csv", rows, COLUMNS)
    r = import_path(client, project_id, path)
    assert r.status_code == 202, r.text
    job = run_job(client, r.json()["id"])
    assert job["state"] == "FAILURE" and "ids must be unique" in job["error"]
    dataset = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "failed" and dataset["num_samples"] == 0
    nothing_left(session_factory, data_dir, job["dataset_id"])


@pytest.mark.usefixtures("streaming")
def test_bad_rows_fail_the_job_naming_them(client: TestClient, project_id: int, data_dir: Path,
                                           session_factory: sessionmaker[Session]) -> None:
    rows = corpus_rows()
    rows[50]["text"] = ""
    rows[60]["split"] = "later"
    path = write_csv(data_dir / "imports" / "big.csv", rows, COLUMNS)
    job = run_job(client, import_path(client, project_id, path).json()["id"])
    assert job["state"] == "FAILURE"
    assert "big.csv row 51: empty text" in job["error"] and "big.csv row 61: the split column" in job["error"]
    nothing_left(session_factory, data_dir, job["dataset_id"])


@pytest.mark.usefixtures("streaming")
def test_header_problems_are_answered_at_once(client: TestClient, project_id: int, data_dir: Path) -> None:
    path = data_dir / "imports" / "big.csv"
    path.write_text("words,label,split\nhello,a,train\n", encoding="utf-8")
    r = import_path(client, project_id, path)
    assert r.status_code == 422 and "it has no text column" in r.json()["detail"]
    path.write_text("text,label,split\nhello,a,train\n", encoding="utf-8")
    r = import_path(client, project_id, path, group_column="author")
    assert r.status_code == 422 and "'author' is not a column" in r.json()["detail"]
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []
