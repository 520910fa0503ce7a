"""Imports that cannot read the server's files nor leak them, and exports that cannot attack whoever opens
them (issue 16), on SQLite and PostgreSQL:

- a server-side path must lie under `<data dir>/imports` or LENSBOARD_IMPORT_ROOTS, links resolved, never
  elsewhere in the data folder; only site administrators may name one;
- no import error quotes the file's content or shows a server path;
- class names that could leave the cleaned archive's folder are refused at import, and the archive writer
  refuses any member name that is not a plain relative path;
- CSV exports neutralise spreadsheet formulas while numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.api.services.csv_cells import safe_cell
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import source_prefix
from backend.core.db.models import Dataset, Sample
from tests.conftest import reset_caches
from tests.support.accounts import add_member, bearer, user_token
from tests.support.custom_data import write_csv, write_csv_trio, zip_folder
from tests.support.imdb_subset import copy_subset
from tests.support.imports import imported, run_job, upload

TOKENIZER = {"vocab_size": 500, "max_length": 64}


def path_import(client: TestClient, project_id: int, path: str | Path, **body: Any) -> Any:
    return client.post(f"/api/projects/{project_id}/datasets/import",
                       json={"path": str(path), "tokenizer": TOKENIZER, **body})


# --- where a server-side path may point -----------------------------------------------------------


def test_by_default_only_the_imports_folder_is_readable(client: TestClient, project_id: int, data_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported leak: the data folder and the working directory were roots, and the CSV error repeated
    the first line, so `{"path": ".lensboard/secret_key", "format": "csv"}` answered with the secret key."""
    monkeypatch.delenv("LENSBOARD_IMPORT_ROOTS")
    reset_caches()
    secret = (data_dir / "secret_key").read_text().strip()  # the HMAC key of every token and session
    assert secret
    r = path_import(client, project_id, data_dir / "secret_key", format="csv")
    assert r.status_code == 422 and "outside the allowed import roots" in r.json()["detail"], r.text
    assert secret not in r.text
    monkeypatch.chdir(data_dir.parent)  # the working directory (a checkout, its .git, its .env) is no root
    (data_dir.parent / "notes.csv").write_text("text,label\nhello,a\n")
    for relative in (f"{data_dir.name}/secret_key", "notes.csv"):
        r = path_import(client, project_id, relative, format="csv")
        assert r.status_code == 422 and "outside the allowed import roots" in r.json()["detail"], (relative, r.text)

    folder = write_csv_trio(data_dir / "imports" / "news", per_class=4)
    assert imported(client, path_import(client, project_id, folder))["num_samples"] == 4 * 3 + 1 * 3 * 2


def test_a_configured_root_does_not_open_the_rest_of_the_data_folder(client: TestClient, project_id: int,
                                                                     data_dir: Path, tmp_path: Path) -> None:
    """The tests' settings list /tmp and the data folder itself as roots: still nothing outside imports/."""
    secret = (data_dir / "secret_key").read_text().strip()
    for inside in (data_dir / "secret_key", data_dir / "artifacts", data_dir, data_dir / "imports" / ".." / "uploads"):
        r = path_import(client, project_id, inside, format="csv")
        assert r.status_code == 422 and "outside the allowed import roots" in r.json()["detail"], (inside, r.text)
        assert secret not in r.text
    # Beside the data folder, under a configured root, is fine.
    folder = write_csv_trio(tmp_path / "beside", per_class=4)
    assert imported(client, path_import(client, project_id, folder))["status"] == "ready"


def test_links_out_of_a_root_are_refused(client: TestClient, project_id: int, data_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LENSBOARD_IMPORT_ROOTS")
    reset_caches()
    imports = data_dir / "imports"
    (imports / "key.csv").symlink_to(data_dir / "secret_key")
    r = path_import(client, project_id, imports / "key.csv")
    assert r.status_code == 422 and "outside the allowed import roots" in r.json()["detail"], r.text

    outside = write_csv_trio(tmp_path / "outside", per_class=4)
    folder = imports / "news"
    folder.mkdir()
    for name in ("valid.csv", "test.csv"):
        (folder / name).write_bytes((outside / name).read_bytes())
    (folder / "train.csv").symlink_to(outside / "train.csv")
    r = path_import(client, project_id, folder)
    assert r.status_code == 422 and "holds a link that leads outside" in r.json()["detail"], r.text
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []


def test_server_paths_are_for_administrators(client: TestClient, project_id: int, data_dir: Path,
                                             session_factory: sessionmaker[Session]) -> None:
    folder = write_csv_trio(data_dir / "imports" / "news", per_class=4)
    tokens = {name: user_token(session_factory, name) for name in ("ed", "vi")}
    add_member(session_factory, project_id, "ed", "editor")
    add_member(session_factory, project_id, "vi", "viewer")
    for route, body in (("import", {"path": str(folder)}), ("imdb", {"path": str(folder)})):
        r = client.post(f"/api/projects/{project_id}/datasets/{route}", json=body, headers=bearer(tokens["ed"]))
        assert r.status_code == 403 and "upload the file instead" in r.json()["detail"], (route, r.text)
        r = client.post(f"/api/projects/{project_id}/datasets/{route}", json=body, headers=bearer(tokens["vi"]))
        assert r.status_code == 403, (route, r.text)
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []
    # The editor uploads instead; the administrator may still name the path.
    data = zip_folder(folder, data_dir / "news.zip").read_bytes()
    assert imported(client, upload(client, project_id, "news.zip", data, headers=bearer(tokens["ed"])))["num_samples"]
    assert imported(client, path_import(client, project_id, folder))["source"] == str(folder.resolve())
    schema = client.get("/openapi.json").json()["paths"]
    assert schema["/api/projects/{project_id}/datasets/import"]["post"]["x-admin-only"] is True
    assert schema["/api/projects/{project_id}/datasets/imdb"]["post"]["x-admin-only"] is True


# --- what errors may say ---------------------------------------------------------------------------

MARK = "SECRET-d41d8cd9"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


LEAKY_FILES: dict[str, tuple[str, bytes, str]] = {
    "first line, no text/label header": ("train.csv", f"{MARK},x\nhello,a\n".encode(), "it has no text and no label"),
    "header repeats a column": ("train.csv", f"text,label,{MARK},{MARK}\na,x,1,2\nb,y,1,2\n".encode(),
                                "names one column twice (columns 3 and 4)"),
    "split value": ("data.csv", f"text,label,split\na,x,{MARK}\n".encode(), "the split column must say"),
    "repeated id": ("train.csv", f"text,label,id\na,x,{MARK}\nb,y,{MARK}\n".encode(), "its id repeats the id of"),
    "jsonl without a label": ("train.jsonl", f'{{"text": "{MARK}"}}\n'.encode(), "train.jsonl row 1: missing label"),
    "jsonl not an object": ("train.jsonl", f'{{"text": {MARK}}}\n'.encode(), "row 1: not a JSON object"),
    "one class": ("train.csv", f"text,label\na,{MARK}\nb,{MARK}\n".encode(), "train has only one class"),
    "label train lacks": ("d.zip", _zip({"train.csv": b"text,label,id\na,x,1\nb,y,2\n",
                                        "test.csv": f"text,label,id\nc,{MARK},{MARK}\n".encode()}),
                          "test.csv row 1: its label is none of train's 2 classes"),
    "unusable class name": ("train.csv", f"text,label\na,{MARK}/../x\nb,y\n".encode(), "not a usable class name"),
}


@pytest.mark.parametrize("case", list(LEAKY_FILES))
def test_import_errors_never_quote_the_file(client: TestClient, project_id: int, data_dir: Path,
                                            case: str) -> None:
    name, data, expected = LEAKY_FILES[case]
    r = upload(client, project_id, name, data)
    assert r.status_code == 422 and expected in r.json()["detail"], r.text
    assert MARK not in r.text
    # The same file named on the server (an administrator's path import) says the same.
    (data_dir / "imports" / name).write_bytes(data)
    r = path_import(client, project_id, data_dir / "imports" / name)
    assert r.status_code == 422 and expected in r.json()["detail"] and MARK not in r.text, r.text


def test_archive_errors_show_no_server_path(client: TestClient, project_id: int, data_dir: Path,
                                           tmp_path: Path) -> None:
    """A member twice was answered with the absolute path it would have been unpacked to."""
    twice = io.BytesIO()
    with zipfile.ZipFile(twice, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("train.csv", "text,label\na,x\nb,y\n")
        zf.writestr("train.csv", "text,label\nc,x\nd,y\n")
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as tf:
        for name, payload in (("d/train.csv", b"text,label\na,x\nb,y\n"), ("d/train.csv/x.csv", b"text,label\n")):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    for filename, data, expected in (("twice.zip", twice.getvalue(), "member 'train.csv' appears twice"),
                                     ("clash.tar.gz", tgz.getvalue(), "'d/train.csv/x.csv' appears twice, or as both")):
        r = upload(client, project_id, filename, data)
        detail = r.json()["detail"]
        assert r.status_code == 422 and detail.startswith(filename) and expected in detail, r.text
        for server_path in (str(data_dir), str(tmp_path), "/uploads/", "/tmp/"):
            assert server_path not in detail, detail
    assert not any((data_dir / "uploads").iterdir())


# --- IMDB by upload ------------------------------------------------------------------------------


def _imdb_archive(imdb_subset: Path, dest: Path, per_class: int) -> Path:
    root = copy_subset(imdb_subset, dest / "small", per_class=per_class, seed=3)
    archive = dest / "aclImdb_small.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(root, "aclImdb")
    return archive


def test_the_imdb_archive_is_uploaded_with_the_import_options(
        client: TestClient, project_id: int, data_dir: Path, tmp_path: Path, imdb_subset: Path,
        session_factory: sessionmaker[Session]) -> None:
    archive = _imdb_archive(imdb_subset, tmp_path, per_class=8)
    editor = user_token(session_factory, "ed")
    add_member(session_factory, project_id, "ed", "editor")
    r = upload(client, project_id, archive.name, archive.read_bytes(), route="imdb/upload", headers=bearer(editor),
               subset_per_class=5, val_size=4, seed=1)
    assert r.status_code == 202, r.text
    dataset_id = r.json()["dataset_id"]
    assert get_store().exists(source_prefix(dataset_id)), "the archive is staged for the worker"
    dataset = imported(client, r)
    assert (dataset["kind"], dataset["name"], dataset["source"]) == ("imdb", "IMDB", archive.name)
    assert dataset["num_samples"] == 20 and dataset["classes"] == ["neg", "pos"]
    assert dataset["stats"]["counts"]["val"]["total"] == 4 and dataset["stats"]["vocab_size"] <= 500
    assert dataset["config"]["subset_per_class"] == 5 and dataset["config"]["source"] == archive.name
    with session_factory() as s:
        rows = s.query(Sample).filter(Sample.dataset_id == dataset_id).all()
        assert all(x.movie_id and x.movie_id.startswith("tt") and 1 <= (x.score or 0) <= 10 for x in rows)
    assert not get_store().exists(source_prefix(dataset_id)), "the staged archive outlived the import"
    assert not any((data_dir / "uploads").iterdir())


def test_bad_imdb_uploads(client: TestClient, project_id: int, data_dir: Path, tmp_path: Path,
                          imdb_subset: Path) -> None:
    r = upload(client, project_id, "notes.txt", b"plain text", route="imdb/upload")
    assert r.status_code == 422 and r.json()["detail"] == "notes.txt is not a .tar.gz archive (no gzip header)"
    r = upload(client, project_id, "a.tar.gz", b"\x1f\x8b", route="imdb/upload", subset_per_class=0)
    assert r.status_code == 422 and "subset_per_class" in r.json()["detail"]
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []
    # A truncated archive passes the quick check and fails the job, naming the upload, not where it was kept.
    data = _imdb_archive(imdb_subset, tmp_path, per_class=3).read_bytes()
    r = upload(client, project_id, "cut.tar.gz", data[: len(data) // 2], route="imdb/upload")
    assert r.status_code == 202, r.text
    job = run_job(client, r.json()["id"])
    assert job["state"] == "FAILURE" and "cut.tar.gz is not a readable .tar.gz archive" in job["error"]
    assert str(data_dir) not in job["error"]
    dataset = client.get(f"/api/datasets/{job['dataset_id']}").json()
    assert dataset["status"] == "failed" and not get_store().exists(source_prefix(dataset["id"]))


# --- class names and the cleaned archive ---------------------------------------------------------


@pytest.mark.parametrize("label", ["../../../evil", "a/b", "a\\b", ".hidden", "x" * 101, "a..b"])
def test_class_names_that_are_not_one_folder_are_refused_at_import(client: TestClient, project_id: int,
                                                                   label: str) -> None:
    data = f"text,label\nhello there,{label}\nbye now,pos\n".encode()
    r = upload(client, project_id, "train.csv", data)
    detail = r.json()["detail"]
    assert r.status_code == 422 and "train.csv row 1: the label is not a usable class name" in detail, r.text
    assert "no '/', '\\', '..' or leading dot" in detail
    if "/" not in label and "\\" not in label and not label.startswith("."):  # else no folder of that name
        stanford = _zip({f"train/{label}/1_2.txt": b"a b", "train/pos/2_3.txt": b"c", "test/pos/3_1.txt": b"d"})
        r = upload(client, project_id, "s.zip", stanford, format="zip")
        assert r.status_code == 422 and "not a usable class name" in r.json()["detail"], r.text


def _flagged_project(client: TestClient, project_id: int, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two datasets: a CSV one whose text, key and class name start like formulas, and a Stanford one with a
    negative score; one confirmed flag with a formula for a note."""
    rows = [{"id": f"@SUM(1+{i})", "text": f'=HYPERLINK("http://evil.example/?{i}","open")', "label": "-neg"}
            for i in range(6)] + [{"id": f"k{i}", "text": f"fine review {i}", "label": "pos"} for i in range(6)]
    csv_set = imported(client, upload(client, project_id, "train.csv",
                                      write_csv(tmp_path / "train.csv", rows).read_bytes(), val_size=2))
    stanford = _zip({"train/-neg/1_-3.txt": b"-2+3 is text", "train/-neg/2_-1.txt": b"b",
                     "train/pos/3_4.txt": b"c", "train/pos/4_5.txt": b"d", "test/-neg/5_-2.txt": b"e",
                     "test/pos/6_7.txt": b"f"})
    st_set = imported(client, upload(client, project_id, "s.zip", stanford, val_size=1))
    assert csv_set["classes"] == st_set["classes"] == ["-neg", "pos"]
    return csv_set, st_set


def test_csv_exports_neutralise_formulas_and_keep_numbers(client: TestClient, project_id: int, tmp_path: Path,
                                                          session_factory: sessionmaker[Session]) -> None:
    csv_set, st_set = _flagged_project(client, project_id, tmp_path)
    with session_factory() as s:
        first = s.query(Sample).filter(Sample.dataset_id == csv_set["id"], Sample.label == 0).first()
        assert first is not None
        sample_id = first.id
    r = client.put(f"/api/projects/{project_id}/flags/{sample_id}",
                   json={"state": "confirmed", "corrected_label": 1, "note": "=1+2|calc"})
    assert r.status_code == 200, r.text

    flags = list(csv.DictReader(io.StringIO(client.get(f"/api/projects/{project_id}/flags/export").text)))
    assert flags[0]["key"].startswith("'@SUM(1+") and flags[0]["note"] == "'=1+2|calc"
    assert flags[0]["sample_id"] == str(sample_id) and flags[0]["corrected_label"] == "1"

    cleaned = client.get(f"/api/projects/{project_id}/cleaned-dataset",
                         params={"format": "csv", "dataset_id": csv_set["id"]})
    rows = list(csv.DictReader(io.StringIO(cleaned.text)))
    negs = [x for x in rows if x["original_label"] == "0"]
    assert negs and all(x["text"].startswith("'=HYPERLINK(") and x["key"].startswith("'@SUM(") for x in negs)
    assert {x["label_name"] for x in negs} == {"'-neg", "pos"}  # the flagged one moved to pos
    # Nothing in the file is left for a spreadsheet to run.
    assert all(safe_cell(cell) == cell for row in csv.reader(io.StringIO(cleaned.text)) for cell in row)

    st_rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/projects/{project_id}/cleaned-dataset", params={"format": "csv", "dataset_id": st_set["id"]}).text)))
    scores = {x["key"]: x["score"] for x in st_rows}
    assert scores["train/-neg/1_-3"] == "-3" and scores["test/pos/6_7"] == "7"  # numbers stay numbers
    assert next(x for x in st_rows if x["key"] == "train/-neg/1_-3")["text"] == "'-2+3 is text"


def test_the_cleaned_archive_extracts_inside_its_folder(client: TestClient, project_id: int, tmp_path: Path,
                                                        session_factory: sessionmaker[Session]) -> None:
    csv_set, _ = _flagged_project(client, project_id, tmp_path)
    r = client.get(f"/api/projects/{project_id}/cleaned-dataset",
                   params={"format": "tar.gz", "dataset_id": csv_set["id"]})
    assert r.status_code == 200
    target = tmp_path / "x" / "y" / "target"
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tf:
        tf.extractall(target)  # naive, as the finding's reader did: no filter
    landed = [p for p in (tmp_path / "x").rglob("*") if p.is_file()]
    assert landed and all(target in p.parents for p in landed)
    assert {p.parent.name for p in landed} == {"-neg", "pos"}

    # A dataset imported before class names were checked (made here directly) cannot become an archive...
    with session_factory() as s:
        bad = Dataset(project_id=project_id, name="old", source="old.csv", kind="custom", status="ready",
                      classes=["../../..", "pos"], config={}, stats={}, num_samples=1)
        s.add(bad)
        s.flush()
        s.add(Sample(dataset_id=bad.id, index=0, key="k", split="train", label=0, text="t", word_count=1,
                     token_count=1, oov_count=0, truncated=False, meta={}))
        s.commit()
        bad_id = bad.id
    r = client.get(f"/api/projects/{project_id}/cleaned-dataset", params={"format": "tar.gz", "dataset_id": bad_id})
    assert r.status_code == 409 and "class 0 of dataset" in r.json()["detail"]
    # ...but is still exported as CSV, where its name is just text.
    r = client.get(f"/api/projects/{project_id}/cleaned-dataset", params={"format": "csv", "dataset_id": bad_id})
    assert r.status_code == 200 and "../../.." in r.text
