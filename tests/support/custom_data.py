"""Synthetic custom datasets (CSV, JSONL, Stanford's layout, archives of them) written at test time.

Each class draws its cue words from its own list, so a small model can learn a 3-class task; texts are
made up here, never taken from real reviews.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CUES = {
    "sports": ["goal", "match", "team", "coach", "league", "score"],
    "science": ["atom", "theory", "experiment", "cell", "laser", "orbit"],
    "politics": ["vote", "senate", "policy", "minister", "election", "party"],
}
FILLER = ["the", "a", "today", "news", "report", "about", "new", "and", "of", "this", "week", "big"]


def synthetic_rows(per_class: int, seed: int = 0, classes: Sequence[str] = tuple(CUES)) -> list[dict[str, Any]]:
    """`per_class` rows per class: text, label and two metadata columns (a number and a category)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(per_class):
        for c, label in enumerate(classes):
            cues = CUES[list(CUES)[c % len(CUES)]]
            words = [rng.choice(FILLER) for _ in range(rng.randint(4, 20))]
            for _ in range(3):
                words.insert(rng.randrange(len(words) + 1), rng.choice(cues))
            rows.append({"text": " ".join(words), "label": label, "length": len(words),
                         "source": rng.choice(["wire", "blog"])})
    return rows


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Path:
    columns = list(columns or rows[0].keys())
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


def write_csv_trio(folder: Path, per_class: int = 20, seed: int = 0) -> Path:
    """train.csv, valid.csv and test.csv of a 3-class task with metadata columns length and source."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "train.csv", synthetic_rows(per_class, seed))
    write_csv(folder / "valid.csv", synthetic_rows(max(per_class // 4, 1), seed + 1))
    write_csv(folder / "test.csv", synthetic_rows(max(per_class // 4, 1), seed + 2))
    return folder


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_stanford(root: Path, classes: Sequence[str], per_class: int, seed: int = 0) -> Path:
    """root/{train,test}/<class>/<id>_<score>.txt."""
    for split, n in (("train", per_class), ("test", max(per_class // 2, 1))):
        rows = synthetic_rows(n, seed + (split == "test"), classes)
        for i, row in enumerate(rows):
            d = root / split / row["label"]
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{i}_{1 + i % 5}.txt").write_text(row["text"], encoding="utf-8")
    return root


def zip_folder(folder: Path, dest: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return dest
