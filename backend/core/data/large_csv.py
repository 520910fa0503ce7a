"""A large CSV read in passes, never whole: a scan that checks every row and keeps a few numbers per row, and
the split plan computed from those numbers alone.

The in-memory reader (backend.core.data.custom) keeps every record, text included, which is fine at IMDB's
50k and not at millions. Here a row costs about 20 bytes between passes (its split, class, and 64-bit hashes
of its text and group), and the texts are read again from the file when they are needed (the vocabulary
fit, then the encoding and the database writes: backend.core.data.streamed_import).

The plan is the in-memory one's (backend.core.data.splits.plan_splits): samples ordered train, val, test,
by class then row; validation carved out of train by whole groups (the group column's value joined with
every exact copy of a text) in the same seeded order, so a file gives the same split whichever reader
imports it (exact copies are found by a 64-bit hash of the text, not the text itself).
"""

from __future__ import annotations

import csv
import hashlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.core.data.custom import MAX_ERRORS, CheckedFields, check_fields, csv_columns, number_value
from backend.core.data.records import DatasetFormatError
from backend.core.data.splits import _stratified_quotas, duplicate_summary, validation_count
from backend.core.vocabulary import SPLITS, Split

SPLIT_CODE: dict[str, int] = {str(s): i for i, s in enumerate(SPLITS)}  # train 0, val 1, test 2
NO_GROUP = np.uint64(0)


@dataclass(frozen=True)
class Row:
    position: int  # 0.. over the file's data rows (blank lines skipped)
    number: int  # the data row's number in messages (the header is not a row)
    fields: CheckedFields


def _hash(text: str) -> int:
    # 0 marks "no group", so a hash never is 0.
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little") | 1


def iter_rows(path: Path) -> Iterator[Row | str]:
    """Each data row of the CSV at `path`, checked (a message in place of a row that is refused).

    The file is read as a stream, so memory stays one row whatever its size. The header's problems and a
    broken file (bad UTF-8, an unterminated quote) raise DatasetFormatError at once."""
    name = path.name
    number = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            checked = csv_columns(name, next(reader, None))
            if isinstance(checked, str):
                raise DatasetFormatError(checked)
            columns, default_split = checked
            position = 0
            for number, values in enumerate(reader, 1):
                if not any(v.strip() for v in values):
                    continue
                where = f"{name} row {number}"
                if len(values) != len(columns):
                    yield f"{where}: {len(values)} fields, the header has {len(columns)}"
                    continue
                fields = check_fields(where, dict(zip(columns, values, strict=True)), default_split,
                                      f"{name}:{number}")
                if isinstance(fields, str):
                    yield fields
                    continue
                yield Row(position, number, fields)
                position += 1
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"{name} after row {number}: not valid UTF-8 ({e.reason})") from e
    except csv.Error as e:
        raise DatasetFormatError(f"{name} after row {number}: {e}") from e


@dataclass
class Scan:
    """What the first pass keeps: per row (file order) its split code, class index and hashes."""

    classes: list[str]
    split: npt.NDArray[np.int8]
    label: npt.NDArray[np.int32]
    text_hash: npt.NDArray[np.uint64]
    group_hash: npt.NDArray[np.uint64]  # NO_GROUP where the row has no group value
    metadata_columns: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.split)


def scan(path: Path, group_column: str | None) -> Scan:
    """Check every row of the CSV and keep what the plan needs; DatasetFormatError lists the first problems."""
    # Typed arrays, not lists: 8 bytes or less a value instead of a pointer and an int object.
    splits = array("b")
    labels = array("l")
    texts = array("Q")
    groups = array("Q")
    label_ids: dict[str, int] = {}
    numeric: dict[str, bool] = {}
    problems: list[str] = []
    n_problems = 0
    for row in iter_rows(path):
        if isinstance(row, str):
            n_problems += 1
            if len(problems) < MAX_ERRORS:
                problems.append(row)
            continue
        f = row.fields
        splits.append(SPLIT_CODE[f.split])
        labels.append(label_ids.setdefault(f.label, len(label_ids)))
        texts.append(_hash(f.text))
        for k, v in f.meta.items():
            if v != "":
                numeric[k] = numeric.get(k, True) and number_value(v, True) is not None
            else:
                numeric.setdefault(k, True)
        value = f.meta.get(group_column) if group_column is not None else None
        groups.append(_hash(str(value)) if value not in (None, "") else 0)
    if n_problems:
        more = n_problems - len(problems)
        raise DatasetFormatError("; ".join(problems) + (f"; and {more} more" if more > 0 else ""))
    if group_column is not None and group_column not in numeric:
        raise DatasetFormatError(f"group column {group_column!r} is not a column of the dataset")
    split = np.frombuffer(splits, dtype=np.int8).copy()
    label = np.array(labels, dtype=np.int32)
    names = list(label_ids)
    train_names = sorted({names[i] for i in np.unique(label[split == SPLIT_CODE[Split.TRAIN]])})
    if not train_names:
        raise DatasetFormatError("the input holds no train samples; the vocabulary is fitted on train")
    if len(train_names) < 2:
        raise DatasetFormatError("train has only one class; a classifier needs two or more")
    index = {name: i for i, name in enumerate(train_names)}
    unknown = [name for name in names if name not in index]
    if unknown:
        raise DatasetFormatError(f"{len(unknown)} val or test label(s) are none of train's {len(train_names)} "
                                 "classes (a val or test label must occur in train)")
    remap = np.array([index[name] for name in names], dtype=np.int32)
    columns = {k: "number" if numeric[k] else "string" for k in numeric}
    return Scan(classes=train_names, split=split, label=remap[label] if len(label) else label,
                text_hash=np.frombuffer(texts, dtype=np.uint64).copy(),
                group_hash=np.frombuffer(groups, dtype=np.uint64).copy(),
                metadata_columns=columns)


def typed_meta(meta: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """A row's metadata as the in-memory reader types it: numbers for a number column, "" as None."""
    out: dict[str, Any] = {}
    for name, kind in columns.items():
        v = meta.get(name)
        out[name] = None if v in (None, "") else number_value(v, True) if kind == "number" else v
    return out


@dataclass(frozen=True)
class Plan:
    """Which sample each row becomes. `row_of_index[i]`: the file row of sample i; `index_of_row[r]`: the
    sample of row r, -1 for a row left out (a train copy of a val/test text, when asked)."""

    row_of_index: npt.NDArray[np.int64]
    index_of_row: npt.NDArray[np.int64]
    split: npt.NDArray[np.int8]  # per sample
    label: npt.NDArray[np.int32]  # per sample
    dropped: int

    def __len__(self) -> int:
        return len(self.row_of_index)


def plan(s: Scan, val_size: float, seed: int, drop_copies: bool) -> Plan:
    """splits.plan_splits (with drop_cross_split_copies first, when asked) over the scan's numbers."""
    train_c, val_c, test_c = (SPLIT_CODE[x] for x in (Split.TRAIN, Split.VAL, Split.TEST))
    keep = np.ones(len(s), dtype=bool)
    if drop_copies:
        later_val_test = s.text_hash[(s.split == val_c) | (s.split == test_c)]
        in_test = s.text_hash[s.split == test_c]
        keep &= ~((s.split == train_c) & np.isin(s.text_hash, later_val_test))
        keep &= ~((s.split == val_c) & np.isin(s.text_hash, in_test))

    def ordered(code: int) -> npt.NDArray[np.int64]:
        rows = np.flatnonzero((s.split == code) & keep)
        return rows[np.argsort(s.label[rows], kind="stable")].astype(np.int64)  # by class, then row

    train, given_val, test = ordered(train_c), ordered(val_c), ordered(test_c)
    if len(train) == 0:
        raise DatasetFormatError("the input holds no train samples; the vocabulary is fitted on train")
    if len(given_val):
        parts = [(train, train_c), (given_val, val_c), (test, test_c)]
    else:
        in_val = _carve(s, train, validation_count(val_size, len(train)), seed)
        sizes = np.bincount(s.label[train], minlength=len(s.classes))
        taken = np.bincount(s.label[train[in_val]], minlength=len(s.classes))
        for c in range(len(s.classes)):
            if sizes[c] and taken[c] >= sizes[c]:
                raise DatasetFormatError(f"val_size {val_size:g} leaves no {s.classes[c]} samples in train")
        parts = [(train[~in_val], train_c), (train[in_val], val_c), (test, test_c)]
    row_of_index = np.concatenate([rows for rows, _ in parts])
    split = np.concatenate([np.full(len(rows), code, dtype=np.int8) for rows, code in parts])
    index_of_row = np.full(len(s), -1, dtype=np.int64)
    index_of_row[row_of_index] = np.arange(len(row_of_index))
    return Plan(row_of_index=row_of_index, index_of_row=index_of_row, split=split,
                label=s.label[row_of_index], dropped=int((~keep).sum()))


def _components(keys: list[npt.NDArray[np.uint64]], n: int) -> npt.NDArray[np.int64]:
    """Per item, the smallest position of its component, items joined when they share a key (0: no key)."""
    comp = np.arange(n, dtype=np.int64)
    inverses = []
    for k in keys:
        _, inv = np.unique(k, return_inverse=True)
        # An item without a key (0) joins nobody: give it a key of its own.
        none = k == NO_GROUP
        inv = inv.astype(np.int64)
        inv[none] = inv.max(initial=0) + 1 + np.arange(int(none.sum()))
        inverses.append(inv)
    while True:
        new = comp.copy()
        for inv in inverses:
            low = np.full(int(inv.max(initial=0)) + 1, n, dtype=np.int64)
            np.minimum.at(low, inv, new)
            new = low[inv]
        new = new[new]  # pointer jumping: a component's smallest item points at itself
        if np.array_equal(new, comp):
            return comp
        comp = new


def _carve(s: Scan, train: npt.NDArray[np.int64], want: int, seed: int) -> npt.NDArray[np.bool_]:
    """Per train sample (in `train`'s order), True for val: whole groups in a seeded order, taken while they
    fit every class's quota (splits._carve)."""
    labels = s.label[train]
    quotas = _stratified_quotas(dict(Counter(labels.tolist())), want)
    comp = _components([s.group_hash[train], s.text_hash[train]], len(train))
    # Groups in first-seen order: a component is named by its first member.
    firsts, group = np.unique(comp, return_inverse=True)
    n_classes = len(s.classes)
    counts = np.zeros((len(firsts), n_classes), dtype=np.int64)
    np.add.at(counts, (group, labels), 1)
    order = np.random.default_rng([seed, 2]).permutation(len(firsts))
    quota = np.array([quotas.get(c, 0) for c in range(n_classes)], dtype=np.int64)
    taken = np.zeros(n_classes, dtype=np.int64)
    chosen = np.zeros(len(firsts), dtype=bool)
    for g in order:
        c = counts[g]
        if np.any(taken + c > quota):
            continue
        taken += c
        chosen[g] = True
        if np.all(taken >= quota):
            break
    return chosen[group]


def duplicate_stats(s: Scan, p: Plan) -> dict[str, Any]:
    """splits.duplicate_stats over the text hashes of the planned samples."""
    hashes = s.text_hash[p.row_of_index]
    _, inv, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    dup = np.flatnonzero(counts[inv] > 1)
    splits_of: dict[int, list[str]] = defaultdict(list)
    for i in dup.tolist():
        splits_of[int(inv[i])].append(SPLITS[int(p.split[i])])
    return duplicate_summary(list(splits_of.values()))
