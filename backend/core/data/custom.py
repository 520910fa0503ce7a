"""Reading custom datasets: CSV files, JSONL files, or a folder in Stanford's layout, into SourceRecords.

Shapes (a single file, or a folder holding them; archives are unpacked first by backend.core.data.archives):
- CSV with a header: `text`, `label`, optional `split` and `id`; every other column is metadata.
  Without a `split` column the file name says the split: train.csv, valid.csv (val, validation, dev), test.csv.
- JSONL: one object per line with the same keys; other keys are metadata.
- Stanford's layout: `<split>/<class>/<id>_<score>.txt`, any class names (`unsup` folders are skipped).

Row numbers in messages count data rows from 1 (a CSV's header is not a row; a JSONL row is its line).
Classes are the sorted names seen in train; a val/test label that train lacks is an error.

Messages name the file, the row and the column, and say what was expected; they never quote the data
itself (an administrator's server-side path could name a file that is not a dataset at all, and its first
line would then be read back to them).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from backend.core.data.records import CLASS_NAME_RULE, DatasetFormatError, SourceData, SourceRecord, class_name_ok
from backend.core.vocabulary import Split

Format = Literal["csv", "jsonl", "stanford"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "stanford")
RESERVED = ("text", "label", "split", "id")
# The names a source may give each split.
SPLIT_NAMES = {"train": Split.TRAIN, "val": Split.VAL, "valid": Split.VAL, "validation": Split.VAL, "dev": Split.VAL,
               "test": Split.TEST}
CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
MAX_ERRORS = 10
MAX_KEY_CHARS = 300  # Sample.key
MAX_INT = 2**31  # Sample.score is a 32-bit integer column
_STANFORD_NAME = re.compile(r"^(\d+)(?:_(-?\d+))?\.txt$")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_total_bytes: int


@dataclass
class _Row:
    where: str  # "train.csv row 3"
    fields: dict[str, Any]
    default_split: str | None
    key: str
    order: int


class _Errors:
    """Collects row errors so one import attempt reports several, not just the first."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            more = len(self.messages) - MAX_ERRORS
            shown = "; ".join(self.messages[:MAX_ERRORS])
            raise DatasetFormatError(shown + (f"; and {more} more" if more > 0 else ""))


def detect_format(path: Path) -> Format:
    """csv or jsonl for such a file, or for a folder holding such files; else Stanford's layout."""
    if path.is_file():
        name = path.name.lower()
        if name.endswith(CSV_SUFFIXES):
            return "csv"
        if name.endswith(JSONL_SUFFIXES):
            return "jsonl"
        raise DatasetFormatError(f"{path.name}: expected a .csv or .jsonl file (or a .zip / .tar.gz of them)")
    root = find_root(path)
    names = [p.name.lower() for p in root.iterdir() if p.is_file()]
    if any(n.endswith(CSV_SUFFIXES) for n in names):
        return "csv"
    if any(n.endswith(JSONL_SUFFIXES) for n in names):
        return "jsonl"
    return "stanford"


def find_root(folder: Path) -> Path:
    """The folder itself, or its only sub-folder when it holds nothing else (a zip of a folder)."""
    entries = [p for p in folder.iterdir() if not _ignored(p.name)]
    if len(entries) == 1 and entries[0].is_dir():
        return find_root(entries[0])
    return folder


def read_source(path: Path, fmt: Format | None, limits: Limits) -> SourceData:
    """Every record of the file or folder at `path`, validated; raises DatasetFormatError naming rows."""
    if not path.exists():
        raise DatasetFormatError(f"{path.name} does not exist")
    fmt = fmt or detect_format(path)
    if fmt == "stanford":
        if not path.is_dir():
            raise DatasetFormatError(f"{path.name}: Stanford's layout is a folder of <split>/<class>/*.txt")
        return _finish(list(_stanford_records(find_root(path), limits)), {}, {})
    suffixes = CSV_SUFFIXES if fmt == "csv" else JSONL_SUFFIXES
    files = [path] if path.is_file() else sorted(
        p for p in find_root(path).iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
    if not files:
        raise DatasetFormatError(f"{path.name} holds no {' or '.join(suffixes)} files")
    _check_sizes(files, limits)
    rows: list[_Row] = []
    errors = _Errors()
    for f in files:
        data = f.read_bytes()
        rows.extend(_csv_rows(f.name, data, errors) if fmt == "csv" else _jsonl_rows(f.name, data, errors))
    errors.raise_if_any()
    return _records(rows, from_csv=fmt == "csv")


def _check_sizes(files: list[Path], limits: Limits) -> None:
    total = 0
    for f in files:
        size = f.stat().st_size
        if size > limits.max_file_bytes:
            raise DatasetFormatError(f"{f.name} is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
                                     "(LENSBOARD_MAX_UPLOAD_BYTES)")
        total += size
    if total > limits.max_total_bytes:
        raise DatasetFormatError(f"the dataset's files hold {total:,} bytes, over the limit of "
                                 f"{limits.max_total_bytes:,} (LENSBOARD_MAX_UNCOMPRESSED_BYTES)")


def _split_of_name(name: str) -> str | None:
    stem = name.lower().split(".", 1)[0]
    return SPLIT_NAMES.get(stem)


def csv_columns(name: str, header: list[str] | None) -> tuple[list[str], str | None] | str:
    """A CSV header's column names and the split its file name says, or the message that refuses it."""
    if header is None:
        return f"{name} is empty; the first line must be a header with text and label columns"
    columns = [h.strip() for h in header]
    missing = [c for c in ("text", "label") if c not in columns]
    if missing:
        return (f"{name}: the first line must be a header naming the columns text and label (and optionally "
                f"split, id and metadata columns); it has no {' and no '.join(missing)} column")
    if len(set(columns)) != len(columns):
        first = next(i for i, c in enumerate(columns) if columns.index(c) != i)
        return (f"{name}: the header names one column twice (columns {columns.index(columns[first]) + 1} "
                f"and {first + 1}); each column needs its own name")
    split = _split_of_name(name)
    if split is None and "split" not in columns:
        return f"{name}: no split column, and the file is not named train, valid or test (.csv)"
    return columns, split


def _csv_rows(name: str, data: bytes, errors: _Errors) -> Iterator[_Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        errors.add(f"{name} row {_csv_row_at(data, e.start)}: not valid UTF-8 (byte {e.start}, {e.reason})")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        checked = csv_columns(name, next(reader, None))
        if isinstance(checked, str):
            errors.add(checked)
            return
        columns, split = checked
        for n, values in enumerate(reader, 1):
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(values) != len(columns):
                errors.add(f"{name} row {n}: {len(values)} fields, the header has {len(columns)}")
                continue
            yield _Row(f"{name} row {n}", dict(zip(columns, values, strict=True)), split, f"{name}:{n}", n)
    except csv.Error as e:
        errors.add(f"{name} row {reader.line_num}: {e}")


def _csv_row_at(data: bytes, offset: int) -> int:
    """The data row holding byte `offset`: CSV records counted in the valid text before it."""
    prefix = data[:offset].decode("utf-8-sig", errors="replace")
    records = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
    starts_new = prefix == "" or prefix.endswith(("\n", "\r"))
    return records + (1 if starts_new else 0) - 1  # minus the header


def _jsonl_rows(name: str, data: bytes, errors: _Errors) -> Iterator[_Row]:
    split = _split_of_name(name)
    for n, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as e:
            errors.add(f"{name} row {n}: not valid UTF-8 (byte {e.start} of the line, {e.reason})")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.add(f"{name} row {n}: not a JSON object ({e.msg})")
            continue
        if not isinstance(obj, dict):
            errors.add(f"{name} row {n}: not a JSON object")
            continue
        missing = [c for c in ("text", "label") if c not in obj]
        if missing:
            errors.add(f"{name} row {n}: missing {', '.join(missing)}")
            continue
        yield _Row(f"{name} row {n}", obj, split, f"{name}:{n}", n)


@dataclass(frozen=True)
class CheckedFields:
    text: str
    label: str
    split: str
    key: str
    meta: dict[str, Any]


def check_fields(where: str, f: dict[str, Any], default_split: str | None, default_key: str) -> CheckedFields | str:
    """One row's text, label, split and key, checked (the message that refuses it otherwise). The key is the
    row's id when it has one, else `default_key`; uniqueness across rows is the caller's to check."""
    text, label = f.get("text"), f.get("label")
    if not isinstance(text, str) or not text.strip():
        return (f"{where}: empty text" if text in (None, "") or isinstance(text, str)
                else f"{where}: text must be a string")
    if "\0" in text:
        return f"{where}: text contains a NUL character"
    if label is None or isinstance(label, dict | list) or not str(label).strip():
        return f"{where}: empty label"
    if not class_name_ok(str(label).strip()):
        return f"{where}: the label is not a usable class name ({CLASS_NAME_RULE})"
    raw_split = f.get("split")
    split = SPLIT_NAMES.get(str(raw_split).strip().lower()) if raw_split not in (None, "") else default_split
    if split is None:
        return (f"{where}: the split column must say train, val or test (or valid, validation, dev)"
                if raw_split not in (None, "")
                else f"{where}: no split (add a split column or name the file train/valid/test)")
    key = str(f["id"]).strip()[:MAX_KEY_CHARS] if f.get("id") not in (None, "") else default_key
    return CheckedFields(text=text, label=str(label).strip(), split=split, key=key,
                         meta={k: v for k, v in f.items() if k not in RESERVED})


def _records(rows: list[_Row], from_csv: bool) -> SourceData:
    errors = _Errors()
    records: list[SourceRecord] = []
    keys: dict[str, str] = {}
    meta_names: list[str] = []
    for row in rows:
        checked = check_fields(row.where, row.fields, row.default_split, row.key)
        if isinstance(checked, str):
            errors.add(checked)
            continue
        key = checked.key
        if (other := keys.get(key)) is not None:
            errors.add(f"{row.where}: its id repeats the id of {other}; ids must be unique")
            continue
        keys[key] = row.where
        for k in checked.meta:
            if k not in meta_names:
                meta_names.append(k)
        records.append(SourceRecord(key=key, split=checked.split, label=checked.label, text=checked.text,
                                    order=row.order, meta=checked.meta))
    errors.raise_if_any()
    columns = {name: _column_type([r.meta.get(name) for r in records], from_csv) for name in meta_names}
    records = [_typed(r, columns, from_csv) for r in records]
    return _finish(records, columns, keys)


def number_value(v: Any, from_csv: bool) -> float | int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v if math.isfinite(v) else None
    if from_csv and isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            pass
        try:
            x = float(s)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _column_type(values: list[Any], from_csv: bool) -> str:
    present = [v for v in values if v not in (None, "")]
    if present and all(number_value(v, from_csv) is not None for v in present):
        return "number"
    return "string"


def _typed(r: SourceRecord, columns: dict[str, str], from_csv: bool) -> SourceRecord:
    meta: dict[str, Any] = {}
    for name, kind in columns.items():
        v = r.meta.get(name)
        if v is None or v == "":
            meta[name] = None
        elif kind == "number":
            meta[name] = number_value(v, from_csv)
        else:
            meta[name] = v if isinstance(v, str) else json.dumps(v)
    return SourceRecord(key=r.key, split=r.split, label=r.label, text=r.text, order=r.order, score=r.score,
                        movie_id=r.movie_id, meta=meta)


def _finish(records: list[SourceRecord], columns: dict[str, str], places: dict[str, str]) -> SourceData:
    """Classes from train (sorted); every val/test label must be one of them. `places`: key -> "file row n"
    for records whose key came from the data (an id column), which a message must not quote."""
    classes = sorted({r.label for r in records if r.split == Split.TRAIN})
    if not classes:
        raise DatasetFormatError("the input holds no train samples; the vocabulary is fitted on train")
    if len(classes) < 2:
        raise DatasetFormatError("train has only one class; a classifier needs two or more")
    known = set(classes)
    errors = _Errors()
    for r in records:
        if r.label not in known:
            errors.add(f"{places.get(r.key, r.key)}: its label is none of train's {len(classes)} classes "
                       "(a val or test label must occur in train)")
    errors.raise_if_any()
    return SourceData(records=records, classes=classes, metadata_columns=columns)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _stanford_records(root: Path, limits: Limits) -> Iterator[SourceRecord]:
    split_dirs = [d for d in sorted(root.iterdir()) if d.is_dir() and d.name.lower() in SPLIT_NAMES]
    if not any(SPLIT_NAMES[d.name.lower()] == Split.TRAIN for d in split_dirs):
        raise DatasetFormatError(f"{root.name} has no train/<class>/ folders (Stanford's layout: "
                                 "<split>/<class>/<id>_<score>.txt), nor .csv or .jsonl files")
    total = 0
    found = False
    for d in split_dirs:
        split = SPLIT_NAMES[d.name.lower()]
        for class_dir in sorted(c for c in d.iterdir() if c.is_dir() and not _ignored(c.name)):
            if class_dir.name == "unsup":  # Stanford's unlabeled reviews
                continue
            if not class_name_ok(class_dir.name):
                raise DatasetFormatError(f"{d.name}/{class_dir.name}: the folder's name is not a usable class name "
                                         f"({CLASS_NAME_RULE})")
            for f in sorted(class_dir.iterdir()):
                if _ignored(f.name) or not f.name.endswith(".txt"):
                    continue
                rel = f"{d.name}/{class_dir.name}/{f.name}"
                if not f.is_file():
                    raise DatasetFormatError(f"{rel} is not a regular file")
                size = f.stat().st_size
                total += size
                if size > limits.max_file_bytes or total > limits.max_total_bytes:
                    raise DatasetFormatError(f"{rel}: the dataset is over the size limit "
                                             "(LENSBOARD_MAX_UPLOAD_BYTES / LENSBOARD_MAX_UNCOMPRESSED_BYTES)")
                m = _STANFORD_NAME.match(f.name)
                if m is None:
                    raise DatasetFormatError(f"{rel}: files must be named <id>_<score>.txt or <id>.txt")
                if len(rel) > MAX_KEY_CHARS:
                    raise DatasetFormatError(f"{rel[:80]}…: the path is over {MAX_KEY_CHARS} characters")
                score = int(m[2]) if m[2] is not None else None
                data = f.read_bytes()
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise DatasetFormatError(f"{rel}: not valid UTF-8 at byte {e.start} ({e.reason})") from e
                if not text.strip():
                    raise DatasetFormatError(f"{rel}: empty text")
                if "\0" in text:
                    raise DatasetFormatError(f"{rel}: contains a NUL byte")
                found = True
                yield SourceRecord(key=rel.removesuffix(".txt"), split=split, label=class_dir.name, text=text,
                                   order=int(m[1]), score=score if score is None or abs(score) < MAX_INT else None)
    if not found:
        raise DatasetFormatError(f"{root.name} holds no <split>/<class>/*.txt files")
