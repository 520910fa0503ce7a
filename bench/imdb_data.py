"""The IMDB data the training benchmarks run on: the platform's tokenizer and token arrays, in memory.

BENCH_LIMIT=<n> keeps the first n reviews of each (split, class) so the scripts can be checked on a
small size; the real figures come from the full 25k + 25k.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from backend.core.artifacts.store import LocalArtifactStore
from backend.core.data.imdb import CLASSES, iter_reviews
from backend.core.data.splits import plan_splits
from backend.core.text import token_store
from backend.core.text.token_store import TokenArrays
from backend.core.text.tokenizer import TextTokenizer

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"


@dataclass(frozen=True)
class BenchData:
    arrays: TokenArrays
    labels: npt.NDArray[np.int64]
    splits: npt.NDArray[np.str_]  # "train" | "val" | "test"
    vocab_size: int

    def rows(self, *splits: str) -> npt.NDArray[np.int64]:
        return np.flatnonzero(np.isin(self.splits, splits)).astype(np.int64)


def archive_path() -> str:
    return os.environ.get("LENSBOARD_IMDB_ARCHIVE", str(DEFAULT_ARCHIVE.resolve()))


def bench_limit() -> int | None:
    raw = os.environ.get("BENCH_LIMIT")
    return int(raw) if raw else None


def load(val_size: int = 5000, vocab_size: int = 20_000, max_length: int = 400, seed: int = 0) -> BenchData:
    """Train/val/test exactly as the import plans them (backend.core.data.splits: val carved by movie and
    exact-copy groups, seeded), vocab fitted on train only."""
    limit = bench_limit()
    records = []
    taken: dict[tuple[str, int], int] = {}
    for r in iter_reviews(archive_path()):
        if limit is not None and taken.get((r.split, r.label), 0) >= limit:
            continue
        taken[(r.split, r.label)] = taken.get((r.split, r.label), 0) + 1
        records.append(r.record())
    n_train = sum(1 for r in records if r.split == "train")
    n_val = min(val_size, n_train // 5) if limit is not None else val_size
    planned = plan_splits(records, list(CLASSES), n_val, seed)
    texts = [p.record.text for p in planned]
    split_arr = np.array([p.split for p in planned], dtype=np.str_)
    labels = [p.label for p in planned]
    tokenizer = TextTokenizer.fit((t for t, s in zip(texts, split_arr, strict=True) if s == "train"),
                                  vocab_size=vocab_size, max_length=max_length)
    encoded = tokenizer.encode_batch(texts)
    with tempfile.TemporaryDirectory() as tmp:  # through the token store, exactly as training reads it
        store = LocalArtifactStore(tmp)
        token_store.save_tokens(store, 0, tokenizer, encoded)
        arrays = token_store.load_tokens(store, 0)
    return BenchData(arrays=arrays, labels=np.array(labels, dtype=np.int64), splits=split_arr,
                     vocab_size=tokenizer.vocab_size)
