"""Importing a large CSV from a server-side path in passes, in constant memory per row of text.

1. scan: check every row, keep ~20 bytes per row (backend.core.data.large_csv), plan the splits;
2. fit the vocabulary on train's texts, streamed from the file;
3. read the file again in chunks: tokenize each chunk (the tokenizer's Rust batch encoder runs on every
   core), append its token ids to a scratch file, and write its samples (PostgreSQL: COPY; SQLite:
   executemany), committing per chunk so the job's progress reports are never blocked behind one long
   write transaction;
4. lay the token ids out in sample order into the artifact store, and mark the dataset ready.

All or nothing: until step 4 commits, the samples written belong to a dataset whose status is
"importing", which nothing reads. Any failure deletes them (and the artifacts) and marks the dataset
failed; a retried job deletes whatever a killed worker left before it starts.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.artifacts.keys import dataset_prefix, ids_key, offsets_key, tokenizer_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.data.imdb import word_count
from backend.core.data.import_paths import resolve_import_path
from backend.core.data.importer import ENCODE_END, FIT_END, READ_END, Progress, _mark_failed, dataset_stats
from backend.core.data.large_csv import Plan, Row, Scan, duplicate_stats, iter_rows, plan, scan, typed_meta
from backend.core.data.records import DatasetFormatError
from backend.core.db.models import Dataset, Sample
from backend.core.settings import Settings
from backend.core.specs.imports import CustomImportOptions
from backend.core.text.tokenizer import OOV_ID, TextTokenizer
from backend.core.vocabulary import SPLITS, Split

log = logging.getLogger(__name__)

CHUNK = 10_000
# The vocabulary is the most frequent words of train; beyond a few hundred thousand reviews their ranks no
# longer move (at the default 30k words the rarest kept word occurs dozens of times in 200k reviews), while
# counting every train review of a million-row file took ~7 minutes on a loaded machine, the largest part of
# the import. Files with fewer train rows than this are fitted on all of them, exactly as before.
VOCAB_FIT_SAMPLE = 200_000
COLUMNS = ("dataset_id", "index", "key", "split", "label", "text", "score", "movie_id", "word_count",
           "token_count", "oov_count", "truncated", "meta")


def import_streamed_csv(session: Session, dataset: Dataset, store: ArtifactStore, raw_path: str,
                        options: CustomImportOptions, settings: Settings,
                        progress: Progress | None = None) -> dict[str, Any]:
    """Fill `dataset` (status "importing") from the CSV at `raw_path`, which is checked against the import
    roots again here (the worker's settings; the file may have been swapped for a link since the API looked).
    Returns the stats (also stored on the dataset)."""
    report: Progress = progress or (lambda _f, _m: None)
    dataset_id = dataset.id
    if dataset.status == "ready":  # a redelivered job whose first run committed
        return dict(dataset.stats)
    try:
        path = resolve_import_path(raw_path, settings)
        if not path.is_file():
            raise DatasetFormatError(f"{path.name} is not a file")
        return _import(session, dataset, store, path, options, settings.uploads_dir, report)
    except Exception as e:
        session.rollback()
        try:  # the chunks committed so far
            session.execute(delete(Sample).where(Sample.dataset_id == dataset_id))
            session.commit()
        except Exception:  # the original error matters more; a retry deletes them before it starts
            session.rollback()
            log.exception("could not delete the samples of dataset %s", dataset_id)
        store.delete_prefix(dataset_prefix(dataset_id))
        _mark_failed(session, dataset_id, str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}")
        raise


def _import(session: Session, dataset: Dataset, store: ArtifactStore, path: Path, options: CustomImportOptions,
            work_dir: Path, report: Progress) -> dict[str, Any]:
    report(0.0, f"checking {path.name}")
    s = scan(path, options.group_column)
    p = plan(s, options.val_size, options.seed, options.drop_cross_split_copies)
    train = np.zeros(len(s), dtype=bool)
    train[p.row_of_index[p.split == SPLITS.index(Split.TRAIN)]] = True

    fit = vocab_fit_rows(train, options.seed)
    report(READ_END, f"fitting the vocabulary on {int(fit.sum())} of {int(train.sum())} train samples")
    cfg = options.tokenizer
    tokenizer = TextTokenizer.fit((r.fields.text for r in _rows(path) if fit[r.position]),
                                  vocab_size=cfg.vocab_size, max_length=cfg.max_length, lowercase=cfg.lowercase)

    # A retry after a killed worker: its committed chunks go first.
    session.execute(delete(Sample).where(Sample.dataset_id == dataset.id))
    session.commit()
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=f"import-{dataset.id}-") as tmp:
        ids_file = Path(tmp) / "ids.bin"
        per_row = _encode_and_write(session, dataset.id, path, s, p, tokenizer, ids_file, report)
        report(ENCODE_END + 0.05, "laying out the token arrays")
        _save_tokens(store, dataset.id, tokenizer, ids_file, per_row[0], p, Path(tmp))

    stats = _stats(s, p, per_row, tokenizer)
    stats["metadata_columns"] = dict(s.metadata_columns)
    stats["duplicates"] = {**duplicate_stats(s, p), "dropped_from_train": p.dropped}
    stats["val_groups"] = options.group_column or "movie_id"
    dataset.status = "ready"
    dataset.error = None
    dataset.classes = list(s.classes)
    dataset.num_samples = len(p)
    dataset.tokenizer_key = tokenizer_key(dataset.id)
    dataset.tokens_key = ids_key(dataset.id)
    dataset.config = {**options.model_dump(), "source": dataset.source,
                      "val_count": stats["counts"][Split.VAL]["total"], "streamed": True,
                      "vocab_fit_samples": int(fit.sum())}
    dataset.stats = stats
    session.commit()
    return stats


def vocab_fit_rows(train: npt.NDArray[np.bool_], seed: int) -> npt.NDArray[np.bool_]:
    """The file rows the vocabulary is fitted on: every train row, or a seeded sample of VOCAB_FIT_SAMPLE."""
    rows = np.flatnonzero(train)
    if len(rows) <= VOCAB_FIT_SAMPLE:
        return train
    fit = np.zeros(len(train), dtype=bool)
    fit[np.random.default_rng([seed, 22]).choice(rows, VOCAB_FIT_SAMPLE, replace=False)] = True
    return fit


def _rows(path: Path) -> Iterator[Row]:
    """The rows again (the scan refused the file if any was bad, so every item is a Row)."""
    for r in iter_rows(path):
        if isinstance(r, str):
            raise DatasetFormatError(f"{path.name} changed while it was being imported: {r}")
        yield r


def _encode_and_write(session: Session, dataset_id: int, path: Path, s: Scan, p: Plan, tokenizer: TextTokenizer,
                      ids_file: Path, report: Progress) -> tuple[npt.NDArray[np.int64], ...]:
    """Per file row: kept token count (≤ max_length), full token count, OOV count, word count."""
    n = len(s)
    kept = np.zeros(n, dtype=np.int64)
    tokens = np.zeros(n, dtype=np.int64)
    oov = np.zeros(n, dtype=np.int64)
    words = np.zeros(n, dtype=np.int64)
    postgres = session.get_bind().dialect.name == "postgresql"
    limit = tokenizer.max_length
    done = 0
    with open(ids_file, "wb") as out:
        for chunk in _chunks(_rows(path), CHUNK):
            if len(chunk) and chunk[-1].position >= n:
                raise DatasetFormatError(f"{path.name} changed while it was being imported")
            encoded = tokenizer.encode_ids_batch([r.fields.text for r in chunk])
            batch = []
            for r, ids in zip(chunk, encoded, strict=True):
                arr = np.asarray(ids, dtype=np.int32)
                cut = arr[:limit]
                out.write(cut.tobytes())
                i = r.position
                kept[i], tokens[i], oov[i] = len(cut), len(arr), int(np.count_nonzero(arr == OOV_ID))
                words[i] = word_count(r.fields.text)
                index = int(p.index_of_row[i])
                if index < 0:
                    continue  # left out of the plan (a train copy of a val/test text)
                f = r.fields
                batch.append((dataset_id, index, f.key, SPLITS[int(p.split[index])], int(p.label[index]), f.text,
                              None, None, int(words[i]), int(tokens[i]), int(oov[i]), bool(len(arr) > limit),
                              typed_meta(f.meta, s.metadata_columns)))
            _write(session, batch, postgres)
            session.commit()  # per chunk: see the module's note
            done += len(chunk)
            report(FIT_END + (ENCODE_END - FIT_END) * done / max(n, 1), f"tokenizing and writing: {done}/{n}")
    if done != n:
        raise DatasetFormatError(f"{path.name} changed while it was being imported")
    return kept, tokens, oov, words


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(session: Session, batch: list[tuple[Any, ...]], postgres: bool) -> None:
    if not batch:
        return
    try:
        if postgres:
            # COPY over the session's own connection, so it is part of the session's transaction.
            raw = session.connection().connection.driver_connection
            assert raw is not None
            cols = ", ".join(f'"{c}"' for c in COLUMNS)
            with raw.cursor() as cur, cur.copy(f"COPY sample ({cols}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row((*row[:-1], json.dumps(row[-1])))
        else:
            session.execute(insert(Sample), [dict(zip(COLUMNS, row, strict=True)) for row in batch])
    except IntegrityError as e:
        raise DatasetFormatError("two rows share an id (or an id repeats a row's default key); ids must be "
                                 "unique") from e
    except Exception as e:
        # psycopg's UniqueViolation arrives bare from COPY (not wrapped by SQLAlchemy).
        if type(e).__name__ == "UniqueViolation":
            raise DatasetFormatError("two rows share an id; ids must be unique") from e
        raise


def _save_tokens(store: ArtifactStore, dataset_id: int, tokenizer: TextTokenizer, ids_file: Path,
                 kept: npt.NDArray[np.int64], p: Plan, tmp: Path) -> None:
    """The ids in sample order (token_store's layout), copied from the file-order scratch file through
    memory maps, then streamed into the store."""
    file_offsets = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=file_offsets[1:])
    lengths = kept[p.row_of_index]
    offsets = np.zeros(len(p) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    source = (np.memmap(ids_file, dtype=np.int32, mode="r", shape=(int(file_offsets[-1]),))
              if file_offsets[-1] else np.zeros(0, dtype=np.int32))
    ids_path = tmp / "ids.npy"
    ids = np.lib.format.open_memmap(ids_path, mode="w+", dtype=np.int32, shape=(total,))
    for index, row in enumerate(p.row_of_index.tolist()):
        ids[offsets[index]: offsets[index + 1]] = source[file_offsets[row]: file_offsets[row + 1]]
    ids.flush()
    del ids, source
    store.put_bytes(tokenizer_key(dataset_id), tokenizer.to_json().encode())
    with open(ids_path, "rb") as f:
        store.put_stream(ids_key(dataset_id), f)
    store.put_array(offsets_key(dataset_id), offsets)


def _stats(s: Scan, p: Plan, per_row: tuple[npt.NDArray[np.int64], ...], tokenizer: TextTokenizer) -> dict[str, Any]:
    """importer's dataset stats, from the per-row arrays laid out in sample order."""
    _, tokens_all, oov_all, words_all = per_row
    rows = p.row_of_index
    # A CSV's movie is a metadata column, not Sample.movie_id: no movies.
    return dataset_stats(split=p.split.astype(np.int64), label=p.label.astype(np.int64), classes=s.classes,
                         tokens=tokens_all[rows], oov=oov_all[rows], words=words_all[rows], tokenizer=tokenizer,
                         movies=0)
