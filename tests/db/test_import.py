"""The IMDB importer against real databases (SQLite and PostgreSQL): counts, determinism, failures."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.keys import dataset_prefix
from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.data.importer import import_imdb_dataset
from backend.core.data.records import DatasetFormatError
from backend.core.db.models import Dataset, Job, Project, Sample
from backend.core.jobs.submit import create_job
from backend.core.specs.imports import ImdbImportRequest, TokenizerConfig
from backend.core.text.token_store import load_tokenizer, load_tokens
from tests.support.imdb_fake import small_reviews, write_archive, write_layout

SUBSET = {"val_size": 200, "seed": 0, "tokenizer": TokenizerConfig(vocab_size=5000, max_length=200)}


@pytest.fixture(scope="module")
def imdb_subset_archive(imdb_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The subset packed like Stanford's archive (urls files after the reviews)."""
    return write_archive(imdb_subset, tmp_path_factory.mktemp("imdb2k-tar") / "aclImdb_subset.tar.gz")


@pytest.fixture
def store(data_dir: Path) -> ArtifactStore:
    return LocalArtifactStore(data_dir / "artifacts")


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


def new_dataset(session: Session, name: str = "imdb") -> Dataset:
    project = session.scalars(select(Project).where(Project.name == "p")).first()
    if project is None:
        project = Project(name="p")
        session.add(project)
        session.flush()
    dataset = Dataset(project_id=project.id, name=name, kind="imdb", status="importing",
                      classes=["neg", "pos"])
    session.add(dataset)
    session.commit()
    return dataset


def run_import(session: Session, store: ArtifactStore, path: Path, **kw: Any) -> Dataset:
    dataset = new_dataset(session)
    import_imdb_dataset(session, dataset, store, ImdbImportRequest(path=str(path), **kw))
    return dataset


def rows(session: Session, dataset_id: int) -> list[Sample]:
    return list(session.scalars(select(Sample).where(Sample.dataset_id == dataset_id).order_by(Sample.index)))


def sample_count(session: Session, dataset_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Sample).where(Sample.dataset_id == dataset_id))
               or 0)


def per_class(subset: Path) -> int:
    """Reviews per (split, class) in the imdb_subset fixture (the same for all four)."""
    counts = {len(list((subset / s / c).glob("*.txt"))) for s in ("train", "test") for c in ("neg", "pos")}
    assert len(counts) == 1
    return counts.pop()


def test_import_subset_folder(session: Session, store: ArtifactStore, imdb_subset: Path) -> None:
    per = per_class(imdb_subset)
    total = 4 * per
    progress: list[tuple[float, str]] = []
    dataset = new_dataset(session)
    stats = import_imdb_dataset(session, dataset, store, ImdbImportRequest(path=str(imdb_subset), **SUBSET),
                                progress=lambda f, m: progress.append((f, m)))
    session.expire_all()
    dataset = session.get_one(Dataset, dataset.id)
    assert dataset.status == "ready" and dataset.error is None and dataset.num_samples == total
    samples = rows(session, dataset.id)
    assert [s.index for s in samples] == list(range(total))
    by_split = Counter((s.split, s.label) for s in samples)
    # 200 validation reviews carved out of train, stratified by class.
    assert by_split == {("train", 0): per - 100, ("train", 1): per - 100, ("val", 0): 100, ("val", 1): 100,
                        ("test", 0): per, ("test", 1): per}
    assert [s.split for s in samples] == ["train"] * (2 * per - 200) + ["val"] * 200 + ["test"] * 2 * per
    assert stats == dataset.stats
    assert stats["counts"]["val"] == {"neg": 100, "pos": 100, "total": 200}
    assert stats["vocab_size"] == 5000 and stats["max_length"] == 200
    assert 0 < stats["oov_rate"] < 0.2 and 0 < stats["truncated_fraction"] < 1
    assert stats["token_count_p95"] > stats["token_count_mean"] > 100
    assert dataset.config["val_count"] == 200
    assert len({s.key for s in samples}) == total

    for s in samples:
        split_dir, cls, name = s.key.split("/")
        review_id, score = (int(x) for x in name.split("_"))
        assert (split_dir, cls) == ("test" if s.split == "test" else "train", ("neg", "pos")[s.label])
        assert s.score == score and (s.score <= 4 if s.label == 0 else s.score >= 7)
        assert s.meta == {"review_id": review_id}
        assert s.movie_id is not None and re.fullmatch(r"tt\d+", s.movie_id)
        assert s.word_count == len(s.text.replace("<br />", " ").split()) > 0
        assert s.truncated == (s.token_count > 200)
    # Train and test hold disjoint sets of movies in the official data.
    test_movies = {s.movie_id for s in samples if s.split == "test"}
    assert not test_movies & {s.movie_id for s in samples if s.split != "test"}
    # Val is carved by movie, so it shares none with train either; exact copies are counted.
    assert not {s.movie_id for s in samples if s.split == "val"} & {s.movie_id for s in samples if s.split == "train"}
    assert stats["val_groups"] == "movie_id" and stats["duplicates"]["dropped_from_train"] == 0
    assert set(stats["duplicates"]) >= {"groups", "samples", "cross_split_groups", "groups_by_split_pair"}

    # Stored token arrays and tokenizer agree with the per-sample counts.
    tok = load_tokenizer(store, dataset.id)
    arrays = load_tokens(store, dataset.id)
    assert len(arrays) == total
    assert np.array_equal(arrays.lengths, [min(s.token_count, 200) for s in samples])
    for s in samples[::97]:
        enc = tok.encode(s.text)
        assert (enc.token_count, enc.oov_count, enc.truncated) == (s.token_count, s.oov_count, s.truncated)
        assert arrays.row(s.index).tolist() == enc.model_ids
    oov_rate = sum(s.oov_count for s in samples) / sum(s.token_count for s in samples)
    assert oov_rate == pytest.approx(stats["oov_rate"])

    messages = [m for _, m in progress]
    assert messages[0] == "reading reviews" and any(m.startswith("tokenizing") for m in messages)
    assert any(m.startswith("writing") for m in messages)
    assert [f for f, _ in progress] == sorted(f for f, _ in progress)


def test_archive_and_folder_give_the_same_dataset(session: Session, store: ArtifactStore, imdb_subset: Path,
                                                   imdb_subset_archive: Path) -> None:
    def summary(d: Dataset) -> list[tuple[Any, ...]]:
        return [(s.index, s.key, s.split, s.label, s.score, s.movie_id, s.token_count, s.oov_count)
                for s in rows(session, d.id)]

    folder = run_import(session, store, imdb_subset, **SUBSET)
    archive = run_import(session, store, imdb_subset_archive, **SUBSET)
    again = run_import(session, store, imdb_subset, **SUBSET)
    assert summary(folder) == summary(archive) == summary(again)
    assert load_tokens(store, folder.id).ids.tolist() == load_tokens(store, archive.id).ids.tolist()

    other_seed = run_import(session, store, imdb_subset, **{**SUBSET, "seed": 1})
    val = {s.key for s in rows(session, folder.id) if s.split == "val"}
    val_other = {s.key for s in rows(session, other_seed.id) if s.split == "val"}
    assert len(val_other) == 200 and val != val_other


def test_subset_and_fractional_validation(session: Session, store: ArtifactStore,
                                          imdb_subset_archive: Path) -> None:
    dataset = run_import(session, store, imdb_subset_archive, subset_per_class=40, val_size=0.25, seed=3,
                         tokenizer=TokenizerConfig(vocab_size=2000, max_length=64))
    samples = rows(session, dataset.id)
    assert Counter((s.split, s.label) for s in samples) == {
        ("train", 0): 30, ("train", 1): 30, ("val", 0): 10, ("val", 1): 10, ("test", 0): 40, ("test", 1): 40}
    assert dataset.stats["max_length"] == 64 and dataset.stats["truncated_fraction"] > 0.5


def test_vocabulary_comes_from_train_only(session: Session, store: ArtifactStore, tmp_path: Path) -> None:
    root = write_layout(tmp_path, small_reviews())
    dataset = run_import(session, store, root, val_size=2)
    tok = load_tokenizer(store, dataset.id)
    by_key = {s.key: s for s in rows(session, dataset.id)}
    assert tok.token_id("zzzunseen") is None  # only in test/neg/10003_3
    assert by_key["test/neg/10003_3"].oov_count >= 1 and by_key["test/neg/10003_3"].movie_id == "tt1010003"
    # Exactly the words of the train split (val and test excluded) make up the vocabulary.
    vocab = set(tok._tok.get_vocab()) - {"[PAD]", "[OOV]"}
    assert vocab == {w for s in by_key.values() if s.split == "train" for w in tok.encode(s.text).tokens}
    assert any(s.oov_count for s in by_key.values() if s.split == "val")
    assert Counter(s.split for s in by_key.values()) == {"train": 6, "val": 2, "test": 8}


def test_already_ready_dataset_is_left_alone(session: Session, store: ArtifactStore, tmp_path: Path) -> None:
    """A redelivered job whose first run committed must not import twice."""
    root = write_layout(tmp_path, small_reviews())
    dataset = run_import(session, store, root, val_size=2)
    stats = import_imdb_dataset(session, dataset, store, ImdbImportRequest(path=str(root), val_size=2))
    assert stats == dataset.stats and sample_count(session, dataset.id) == 16


def assert_failed(session: Session, store: ArtifactStore, dataset_id: int, message: str) -> None:
    session.expire_all()
    dataset = session.get_one(Dataset, dataset_id)
    assert dataset.status == "failed" and dataset.error is not None and message in dataset.error
    assert dataset.num_samples == 0 and dataset.tokenizer_key is None
    assert sample_count(session, dataset_id) == 0
    assert not store.exists(dataset_prefix(dataset_id))


@pytest.mark.parametrize("case", ["bad-utf8", "truncated-archive", "missing", "val-too-large"])
def test_bad_input_fails_cleanly(session: Session, store: ArtifactStore, tmp_path: Path, case: str) -> None:
    reviews = small_reviews()
    if case == "bad-utf8":
        reviews[("test", "pos")]["9_9.txt"] = b"\xff\xfe broken"
    root = write_layout(tmp_path / "src", reviews)
    path, expected, kw = root, "", {"val_size": 2.0}
    if case == "bad-utf8":
        expected = "test/pos/9_9.txt: not valid UTF-8"
    elif case == "truncated-archive":
        data = write_archive(root, tmp_path / "full.tar.gz").read_bytes()
        path = tmp_path / "cut.tar.gz"
        path.write_bytes(data[: len(data) * 2 // 3])
        expected = "cut.tar.gz is not a readable .tar.gz archive"
    elif case == "missing":
        path, expected = tmp_path / "nowhere", "does not exist"
    else:
        kw, expected = {"val_size": 8.0}, "train has only 8"
    dataset = new_dataset(session)
    with pytest.raises(DatasetFormatError):
        import_imdb_dataset(session, dataset, store, ImdbImportRequest(path=str(path), **kw))
    assert_failed(session, store, dataset.id, expected)


def test_failure_while_writing_rows_leaves_nothing(session: Session, store: ArtifactStore, imdb_subset: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails after some sample chunks went in: all of them are rolled back."""
    import backend.core.data.importer as importer

    monkeypatch.setattr(importer, "INSERT_CHUNK", 300)
    inserts = 0

    def fail_third_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT INTO SAMPLE"):
            inserts += 1
            if inserts == 3:
                raise RuntimeError("disk full (injected)")

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", fail_third_insert)
    try:
        dataset = new_dataset(session)
        with pytest.raises(RuntimeError, match="disk full"):
            import_imdb_dataset(session, dataset, store, ImdbImportRequest(path=str(imdb_subset), **SUBSET))
    finally:
        event.remove(engine, "before_cursor_execute", fail_third_insert)
    assert inserts == 3
    assert_failed(session, store, dataset.id, "RuntimeError: disk full (injected)")


def test_task_body_runs_and_records_the_job(env: dict[str, str], session: Session, tmp_path: Path) -> None:
    """The Celery task's body, called in this process (the real-worker path is in tests/integration)."""
    from worker.tasks.imports import import_dataset

    root = write_layout(tmp_path, small_reviews())
    good = new_dataset(session, "good")
    bad = new_dataset(session, "bad")
    job_ok = create_job(session, "import", dataset_id=good.id, params={"path": str(root), "val_size": 2})
    job_bad = create_job(session, "import", dataset_id=bad.id, params={"path": str(tmp_path / "nope")})
    session.commit()
    import_dataset(job_ok.id)
    import_dataset(job_bad.id)
    session.expire_all()
    ok = session.get_one(Job, job_ok.id)
    assert ok.state == "SUCCESS" and ok.progress == 1.0
    assert ok.result["dataset_id"] == good.id and ok.result["num_samples"] == 16
    assert session.get_one(Dataset, good.id).status == "ready"
    failed = session.get_one(Job, job_bad.id)
    assert failed.state == "FAILURE" and failed.error is not None and "does not exist" in failed.error
    assert session.get_one(Dataset, bad.id).status == "failed"


def test_import_task_does_not_load_torch() -> None:
    code = ("import sys, worker.tasks.imports, backend.core.data.importer; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
