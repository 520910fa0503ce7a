"""Custom datasets through the API (upload and server-side path), imported by the task's body, on SQLite
and PostgreSQL: the shapes that work, the errors that are answered at once, and nothing half-imported."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.keys import source_prefix
from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.db.models import Dataset, Sample
from tests.support.custom_data import (
    synthetic_rows,
    write_csv,
    write_csv_trio,
    write_jsonl,
    write_stanford,
    zip_folder,
)
from tests.support.imports import imported as import_and_wait
from tests.support.imports import run_job, upload

TOKENIZER = {"vocab_size": 500, "max_length": 64}


@pytest.fixture
def store(data_dir: Path) -> LocalArtifactStore:
    return LocalArtifactStore(data_dir / "artifacts")


def imported(client: TestClient, response: Any) -> dict[str, Any]:
    dataset = import_and_wait(client, response)
    assert dataset["kind"] == "custom"
    return dataset


def samples(factory: sessionmaker[Session], dataset_id: int) -> list[Sample]:
    with factory() as s:
        return list(s.scalars(select(Sample).where(Sample.dataset_id == dataset_id).order_by(Sample.index)))


def nothing_created(client: TestClient, project_id: int, data_dir: Path) -> None:
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []
    assert client.get("/api/jobs").json() == []
    uploads = data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir()), "an upload was left behind"


def test_csv_trio_from_a_folder_three_classes_and_metadata(client: TestClient, project_id: int, data_dir: Path,
                                                           session_factory: sessionmaker[Session],
                                                           store: ArtifactStore) -> None:
    folder = write_csv_trio(data_dir / "imports" / "news", per_class=12)
    r = client.post(f"/api/projects/{project_id}/datasets/import",
                    json={"path": str(folder), "name": "news", "tokenizer": TOKENIZER})
    dataset = imported(client, r)
    assert dataset["name"] == "news" and dataset["classes"] == ["politics", "science", "sports"]
    assert dataset["metadata_columns"] == {"length": "number", "source": "string"}
    # valid.csv is the validation split as given: nothing is carved out of train.
    assert dataset["stats"]["counts"] == {
        "train": {"politics": 12, "science": 12, "sports": 12, "total": 36},
        "val": {"politics": 3, "science": 3, "sports": 3, "total": 9},
        "test": {"politics": 3, "science": 3, "sports": 3, "total": 9},
    }
    rows = samples(session_factory, dataset["id"])
    assert [s.index for s in rows] == list(range(54))
    assert [s.split for s in rows] == ["train"] * 36 + ["val"] * 9 + ["test"] * 9
    assert {s.label for s in rows} == {0, 1, 2}
    for s in rows:
        assert set(s.meta) == {"length", "source"} and isinstance(s.meta["length"], int)
    first = rows[0]
    assert first.key.startswith("train.csv:") and first.split == "train"
    detail = client.get(f"/api/samples/{first.id}").json()
    assert detail["meta"] == first.meta and detail["label_name"] == "politics"
    assert not store.exists(source_prefix(dataset["id"])), "the staged source outlived the import"


def test_zip_of_csvs_upload(client: TestClient, project_id: int, data_dir: Path, tmp_path: Path) -> None:
    archive = zip_folder(write_csv_trio(tmp_path / "news", per_class=8), tmp_path / "news.zip", prefix="news/")
    dataset = imported(client, upload(client, project_id, "news.zip", archive.read_bytes(), name="zipped"))
    assert dataset["name"] == "zipped" and dataset["num_samples"] == 24 + 6 + 6
    assert dataset["config"]["source"] == "news.zip" and dataset["source"] == "news.zip"
    nothing_left = data_dir / "uploads"
    assert not any(nothing_left.iterdir())


def test_jsonl_upload_carves_validation_out_of_train(client: TestClient, project_id: int,
                                                     session_factory: sessionmaker[Session]) -> None:
    rows = [{**r, "split": "train"} for r in synthetic_rows(10)] + [{**r, "split": "test"}
                                                                     for r in synthetic_rows(2, seed=5)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    dataset = imported(client, upload(client, project_id, "data.jsonl", data, val_size=6, seed=1))
    counts = dataset["stats"]["counts"]
    assert counts["val"] == {"politics": 2, "science": 2, "sports": 2, "total": 6}
    assert counts["train"]["total"] == 24 and counts["test"]["total"] == 6
    assert Counter(s.split for s in samples(session_factory, dataset["id"])) == {"train": 24, "val": 6, "test": 6}


def test_stanford_folder_with_custom_class_names(client: TestClient, project_id: int, data_dir: Path,
                                                 session_factory: sessionmaker[Session]) -> None:
    root = write_stanford(data_dir / "imports" / "topics", ["econ", "health", "tech"], per_class=10)
    r = client.post(f"/api/projects/{project_id}/datasets/import",
                    json={"path": str(root), "format": "stanford", "val_size": 0.2, "tokenizer": TOKENIZER})
    dataset = imported(client, r)
    assert dataset["classes"] == ["econ", "health", "tech"] and dataset["num_samples"] == 30 + 15
    rows = samples(session_factory, dataset["id"])
    assert all(s.score is not None and 1 <= s.score <= 5 for s in rows)
    assert {s.key.split("/")[1] for s in rows} == {"econ", "health", "tech"}


@pytest.mark.parametrize(("content", "message"), [
    (b"txt,label\nhello,a\n", "train.csv: the first line must be a header naming the columns text and label"),
    (b"text,label\nhello,a\n\"\",b\n", "train.csv row 2: empty text"),
    (b"text,label\nhello,a\nbad \xff byte,b\n", "train.csv row 2: not valid UTF-8"),
])
def test_bad_csv_upload_is_422_with_the_row(client: TestClient, project_id: int, data_dir: Path,
                                            content: bytes, message: str) -> None:
    r = upload(client, project_id, "train.csv", content)
    assert r.status_code == 422 and message in r.json()["detail"], r.text
    nothing_created(client, project_id, data_dir)


def test_unknown_label_in_test_is_422(client: TestClient, project_id: int, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    write_csv(folder / "train.csv", [{"text": "a b", "label": "x"}, {"text": "c d", "label": "y"}])
    write_csv(folder / "test.csv", [{"text": "a", "label": "x"}, {"text": "b", "label": "x"},
                                    {"text": "e", "label": "zz"}])
    r = upload(client, project_id, "d.zip", zip_folder(folder, tmp_path / "d.zip").read_bytes())
    assert r.status_code == 422
    assert r.json()["detail"] == ("test.csv row 3: its label is none of train's 2 classes (a val or test label must "
                                  "occur in train)")
    nothing_created(client, project_id, data_dir)


def test_hostile_archives_are_refused(client: TestClient, project_id: int, data_dir: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("train.csv", "text,label\na,x\nb,y\n")
        zf.writestr("../../escape.csv", "gotcha")
    r = upload(client, project_id, "evil.zip", buf.getvalue())
    assert r.status_code == 422 and "'../../escape.csv' points outside the archive's folder" in r.json()["detail"]
    assert not (data_dir / "escape.csv").exists() and not (data_dir.parent / "escape.csv").exists()

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("train.csv", b"text,label\n" + b"x" * 50_000_000)
    r = upload(client, project_id, "bomb.zip", bomb.getvalue())
    assert r.status_code == 422 and "a zip bomb?" in r.json()["detail"]
    nothing_created(client, project_id, data_dir)


def test_oversized_upload_is_413(client: TestClient, project_id: int, data_dir: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import reset_caches

    monkeypatch.setenv("LENSBOARD_MAX_UPLOAD_BYTES", "200000")
    reset_caches()
    big = write_csv(data_dir.parent / "train.csv", synthetic_rows(3000)).read_bytes()
    assert len(big) > 300_000  # over the limit and its allowance for the form around the file
    r = upload(client, project_id, "train.csv", big)
    assert r.status_code == 413 and "LENSBOARD_MAX_UPLOAD_BYTES" in r.json()["detail"]
    # Just over the limit: within the form allowance, so the route's own count refuses it.
    r = upload(client, project_id, "train.csv", big[:200_100])
    assert r.status_code == 413 and "over the limit of 200,000 bytes" in r.json()["detail"]

    def chunked() -> Iterator[bytes]:
        """A body without Content-Length: it is counted as it arrives and cut off at the limit."""
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="train.csv"\r\n\r\n'
        for start in range(0, len(big), 16_384):
            yield big[start:start + 16_384]
        yield b"\r\n--b--\r\n"

    r = client.post(f"/api/projects/{project_id}/datasets/upload", content=chunked(),
                    headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "LENSBOARD_MAX_UPLOAD_BYTES" in r.json()["detail"]
    nothing_created(client, project_id, data_dir)


def test_bad_form_and_paths_are_422(client: TestClient, project_id: int, data_dir: Path) -> None:
    good = write_csv(data_dir / "train.csv", synthetic_rows(3)).read_bytes()
    r = upload(client, project_id, "train.csv", good, val_size=2.5)
    assert r.status_code == 422 and "val_size" in r.json()["detail"]
    r = upload(client, project_id, "notes.txt", b"hello")
    assert r.status_code == 422 and "expected a .csv or .jsonl file" in r.json()["detail"]
    r = client.post(f"/api/projects/{project_id}/datasets/import", json={"path": "/etc/passwd"})
    assert r.status_code == 422 and "outside the allowed import roots" in r.json()["detail"]
    assert upload(client, 999, "train.csv", good).status_code == 404
    nothing_created(client, project_id, data_dir)


def test_failure_in_the_job_leaves_a_failed_dataset_and_nothing_else(
        client: TestClient, project_id: int, session_factory: sessionmaker[Session], store: LocalArtifactStore) -> None:
    """Valid rows, but a validation split that takes all of train: the job fails, nothing is kept."""
    data = write_jsonl(Path(store.root.parent) / "train.jsonl", synthetic_rows(2)).read_bytes()
    r = upload(client, project_id, "train.jsonl", data, val_size=6)
    assert r.status_code == 202, r.text
    job = run_job(client, r.json()["id"])
    assert job["state"] == "FAILURE" and "train has only 6" in job["error"]
    dataset = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "failed" and "train has only 6" in dataset["error"]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Sample).where(Sample.dataset_id == dataset["id"])) == 0
        assert s.get_one(Dataset, dataset["id"]).tokens_key is None
    assert not store.exists(source_prefix(dataset["id"]))
