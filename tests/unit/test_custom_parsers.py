"""Custom dataset parsers (CSV, JSONL, Stanford's layout) and safe archive unpacking, without a database."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from backend.core.data.archives import ArchiveLimits, extract_archive
from backend.core.data.custom import Limits, detect_format, read_source
from backend.core.data.records import DatasetFormatError
from tests.support.custom_data import synthetic_rows, write_csv, write_csv_trio, write_jsonl, write_stanford

LIMITS = Limits(max_file_bytes=10_000_000, max_total_bytes=50_000_000)
ARCHIVE = ArchiveLimits(max_total_bytes=50_000_000, max_ratio=100)


def test_csv_trio_classes_splits_and_typed_metadata(tmp_path: Path) -> None:
    folder = write_csv_trio(tmp_path / "d", per_class=8)
    assert detect_format(folder) == "csv"
    source = read_source(folder, None, LIMITS)
    assert source.classes == ["politics", "science", "sports"]  # sorted names seen in train
    assert source.metadata_columns == {"length": "number", "source": "string"}
    assert {r.split for r in source.records} == {"train", "val", "test"}
    train = [r for r in source.records if r.split == "train"]
    assert len(train) == 24 and train[0].key == "train.csv:1" and train[0].order == 1
    assert isinstance(train[0].meta["length"], int) and train[0].meta["source"] in ("wire", "blog")


def test_single_csv_with_split_column_id_and_sparse_metadata(tmp_path: Path) -> None:
    rows = [{"id": f"x{i}", "text": f"text {i}", "label": "ab"[i % 2], "split": ["train", "dev", "test"][i % 3],
             "weight": "" if i == 4 else str(i / 2)} for i in range(12)]
    source = read_source(write_csv(tmp_path / "all.csv", rows), None, LIMITS)
    assert {r.key for r in source.records} == {f"x{i}" for i in range(12)}
    assert {r.split for r in source.records} == {"train", "val", "test"}
    assert source.metadata_columns == {"weight": "number"}
    by_key = {r.key: r for r in source.records}
    assert by_key["x4"].meta == {"weight": None} and by_key["x3"].meta == {"weight": 1.5}


@pytest.mark.parametrize(("content", "message"), [
    (b"body,label\nhello,a\n", "train.csv: the first line must be a header naming the columns text and label"),
    (b"text,label\nhello,a\n   ,b\nbye,b\n", "train.csv row 2: empty text"),
    (b"text,label\nhello,a\nbye,\n", "train.csv row 2: empty label"),
    (b"text,label\nhello,a\n\"two\nlines\",b\nbad \xff here,b\n", "train.csv row 3: not valid UTF-8"),
    (b"text,label\nhello,a\nbye,b,extra\n", "train.csv row 2: 3 fields, the header has 2"),
    (b"text,label\nhello,a\nbye,a\n", "train has only one class; a classifier needs two or more"),
])
def test_csv_errors_name_the_row(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "train.csv").write_bytes(content)
    with pytest.raises(DatasetFormatError) as err:
        read_source(tmp_path / "train.csv", None, LIMITS)
    assert message in str(err.value)


def test_unknown_label_in_valid_is_an_error_with_its_row(tmp_path: Path) -> None:
    write_csv(tmp_path / "train.csv", [{"text": "x", "label": "a"}, {"text": "y", "label": "b"}])
    write_csv(tmp_path / "valid.csv", [{"text": "x", "label": "a"}, {"text": "z", "label": "c"}])
    message = "valid.csv row 2: its label is none of train's 2 classes (a val or test label must occur in train)"
    with pytest.raises(DatasetFormatError, match=re.escape(message)):
        read_source(tmp_path, None, LIMITS)


def test_csv_without_a_split_is_one_error_for_the_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "data.csv", [{"text": "x", "label": "a"}, {"text": "y", "label": "b"}])
    with pytest.raises(DatasetFormatError) as err:
        read_source(tmp_path / "data.csv", None, LIMITS)
    assert str(err.value) == "data.csv: no split column, and the file is not named train, valid or test (.csv)"


def test_several_errors_are_reported_together(tmp_path: Path) -> None:
    rows = [{"text": "" if i in (2, 5) else "t", "label": "ab"[i % 2]} for i in range(1, 8)]
    write_csv(tmp_path / "train.csv", rows)
    with pytest.raises(DatasetFormatError) as err:
        read_source(tmp_path, None, LIMITS)
    assert "train.csv row 2: empty text; train.csv row 5: empty text" in str(err.value)


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    write_csv(tmp_path / "train.csv", synthetic_rows(50))
    with pytest.raises(DatasetFormatError, match=r"train\.csv is .* bytes, over the limit of 100 "):
        read_source(tmp_path, None, Limits(max_file_bytes=100, max_total_bytes=10**9))


def test_jsonl_split_from_field_or_file_name(tmp_path: Path) -> None:
    rows = [{**r, "split": "test"} if i % 5 == 0 else r for i, r in enumerate(synthetic_rows(6))]
    rows[1]["extra"] = {"nested": True}
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    assert detect_format(path) == "jsonl"
    source = read_source(path, None, LIMITS)
    assert {r.split for r in source.records} == {"train", "test"}
    assert source.metadata_columns == {"length": "number", "source": "string", "extra": "string"}
    assert source.records[1].meta["extra"] == '{"nested": true}' and source.records[0].meta["extra"] is None

    (tmp_path / "bad.jsonl").write_bytes(b'{"text": "a", "label": "x", "split": "train"}\n[1]\n{"text": "b"}\n'
                                         b'{"text": "\xff", "label": "y"}\n')
    with pytest.raises(DatasetFormatError) as err:
        read_source(tmp_path / "bad.jsonl", None, LIMITS)
    assert str(err.value) == ("bad.jsonl row 2: not a JSON object; bad.jsonl row 3: missing label; "
                              "bad.jsonl row 4: not valid UTF-8 (byte 10 of the line, invalid start byte)")


def test_stanford_layout_with_any_class_names(tmp_path: Path) -> None:
    root = write_stanford(tmp_path / "wrap" / "news", ["politics", "science", "sports"], per_class=4)
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabeled")
    assert detect_format(tmp_path / "wrap") == "stanford"
    source = read_source(tmp_path / "wrap", None, LIMITS)  # the single sub-folder is descended into
    assert source.classes == ["politics", "science", "sports"]
    assert len(source.records) == 12 + 6 and all(r.label != "unsup" for r in source.records)
    first = next(r for r in source.records if r.key == "train/science/1_2")
    assert (first.split, first.order, first.score) == ("train", 1, 2)

    (root / "test" / "sports" / "99_1.txt").write_bytes(b"caf\xe9")
    with pytest.raises(DatasetFormatError, match=re.escape("test/sports/99_1.txt: not valid UTF-8 at byte 3")):
        read_source(root, "stanford", LIMITS)


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["../evil.csv", "/abs/evil.csv", "a/../../evil.csv", "C:/evil.csv",
                                  "..\\evil.csv"])
def test_zip_member_escaping_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    path = zip_of(tmp_path / "x.zip", {"train.csv": b"text,label\na,b\n", name: b"pwned"})
    with pytest.raises(DatasetFormatError, match="points outside the archive's folder; refused"):
        extract_archive(path, tmp_path / "out", ARCHIVE)
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.csv").exists()


def test_zip_bomb_is_refused_by_size_and_by_ratio(tmp_path: Path) -> None:
    bomb = zip_of(tmp_path / "bomb.zip", {"train.csv": b"text,label\n" + b"a" * 20_000_000})
    with pytest.raises(DatasetFormatError, match="expands more than 100 times"):
        extract_archive(bomb, tmp_path / "out", ARCHIVE)
    with pytest.raises(DatasetFormatError, match="unpacks to more than 1,000,000 bytes"):
        extract_archive(bomb, tmp_path / "out", ArchiveLimits(max_total_bytes=1_000_000, max_ratio=10**6))
    assert not (tmp_path / "out").exists()


def test_tar_with_a_link_is_refused_and_a_good_one_unpacks(tmp_path: Path) -> None:
    def tar(path: Path, link: bool) -> Path:
        with tarfile.open(path, "w:gz") as tf:
            data = b"text,label\na,x\nb,y\n"
            info = tarfile.TarInfo("d/train.csv")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
            if link:
                sym = tarfile.TarInfo("d/test.csv")
                sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tf.addfile(sym)
        return path

    with pytest.raises(DatasetFormatError, match=re.escape("'d/test.csv' is not a regular file; refused")):
        extract_archive(tar(tmp_path / "l.tar.gz", True), tmp_path / "out", ARCHIVE)
    out = extract_archive(tar(tmp_path / "ok.tgz", False), tmp_path / "out", ARCHIVE)
    assert [r.label for r in read_source(out, None, LIMITS).records] == ["x", "y"]
