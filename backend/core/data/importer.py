"""Importing a dataset (IMDB or a custom source): read records, plan splits, tokenize, store.

Every source yields the same records (backend.core.data.records); this module is the one write path.

All or nothing. Reading and tokenizing happen before anything is written to the database; then the
samples go in with the dataset's new state in ONE transaction. Any error rolls that back, removes
the dataset's artifacts, and marks the dataset "failed" with the message (in its own transaction).
Keeping the write phase short and last also matters on SQLite, where an open write transaction
would block the job's progress reports.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from backend.core.artifacts.keys import archive_key, dataset_prefix, ids_key, tokenizer_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.data.imdb import CLASSES, ImdbReview, iter_reviews, word_count
from backend.core.data.records import DatasetFormatError, SourceData
from backend.core.data.source_store import load_source
from backend.core.data.splits import Planned, drop_cross_split_copies, duplicate_stats, plan_splits
from backend.core.db.models import Dataset, Sample
from backend.core.specs.imports import CustomImportOptions, ImdbImportOptions, ImdbImportRequest, TokenizerConfig
from backend.core.text.token_store import save_token_rows
from backend.core.text.tokenizer import OOV_ID, TextTokenizer
from backend.core.vocabulary import SPLITS, Split

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

ENCODE_CHUNK = 2_000
INSERT_CHUNK = 5_000
# Where each phase sits on the job's 0..1 progress bar.
READ_END, FIT_END, ENCODE_END = 0.35, 0.45, 0.85


@dataclass(frozen=True)
class ImportOptions:
    val_size: float
    seed: int
    tokenizer: TokenizerConfig
    config: dict[str, Any]  # the request, kept on the dataset
    # Custom datasets: the metadata column whose equal values stay together in train or val (None: the movie).
    group_column: str | None = None
    drop_cross_split_copies: bool = False


Reader = Callable[[Progress], SourceData]


def import_imdb_dataset(session: Session, dataset: Dataset, store: ArtifactStore,
                        options: ImdbImportOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Fill `dataset` (status "importing") from the IMDB archive or folder at `options.path` (an
    ImdbImportRequest), or else from the archive the API staged when it took the upload."""

    def read(report: Progress) -> SourceData:
        report(0.0, "reading reviews")
        if isinstance(options, ImdbImportRequest):
            path, name = Path(options.path), None
        else:
            try:
                path, name = store.path(archive_key(dataset.id)), dataset.source
            except KeyError as e:
                raise ValueError(f"dataset {dataset.id}: its uploaded archive is gone from the artifact store") from e
        reviews = list(iter_reviews(path, on_progress=lambda f: report(f * READ_END, "reading reviews"), name=name))
        reviews = select_subset(reviews, options.subset_per_class, options.seed)
        return SourceData(records=[r.record() for r in reviews], classes=list(CLASSES))

    config = options.model_dump()
    if not isinstance(options, ImdbImportRequest):
        config["source"] = dataset.source
    return import_dataset(session, dataset, store, read,
                          ImportOptions(val_size=options.val_size, seed=options.seed, tokenizer=options.tokenizer,
                                        config=config, drop_cross_split_copies=options.drop_cross_split_copies),
                          progress)


def import_custom_dataset(session: Session, dataset: Dataset, store: ArtifactStore,
                          options: CustomImportOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Fill `dataset` from the source the API validated and stored (backend.core.data.source_store)."""

    def read(report: Progress) -> SourceData:
        report(0.0, "reading the uploaded source")
        return load_source(store, dataset.id)

    config = {**options.model_dump(), "source": dataset.source}
    return import_dataset(session, dataset, store, read,
                          ImportOptions(val_size=options.val_size, seed=options.seed, tokenizer=options.tokenizer,
                                        config=config, group_column=options.group_column,
                                        drop_cross_split_copies=options.drop_cross_split_copies), progress)


def import_dataset(session: Session, dataset: Dataset, store: ArtifactStore, read: Reader,
                   options: ImportOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Fill `dataset` (status "importing") with what `read` yields. Returns the stats (also stored on it).

    Raises the original error after marking the dataset failed; a dataset that is already "ready"
    (a redelivered job whose first run committed) is left as it is.
    """
    report: Progress = progress or (lambda _f, _m: None)
    dataset_id = dataset.id
    if dataset.status == "ready":
        return dict(dataset.stats)
    try:
        return _import(session, dataset, store, read(report), options, report)
    except Exception as e:
        session.rollback()
        store.delete_prefix(dataset_prefix(dataset_id))
        # Format errors already read as a message for the user; anything else keeps its type.
        _mark_failed(session, dataset_id, str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}")
        raise


def _import(session: Session, dataset: Dataset, store: ArtifactStore, source: SourceData,
            options: ImportOptions, report: Progress) -> dict[str, Any]:
    classes = source.classes
    if options.group_column is not None and options.group_column not in source.metadata_columns:
        raise DatasetFormatError(f"group column {options.group_column!r} is not a column of the dataset")
    records, dropped = (drop_cross_split_copies(source.records) if options.drop_cross_split_copies
                        else (source.records, 0))
    planned = plan_splits(records, classes, options.val_size, options.seed, options.group_column)

    train_texts = [p.record.text for p in planned if p.split == Split.TRAIN]
    report(READ_END, f"fitting the vocabulary on {len(train_texts)} train samples")
    cfg = options.tokenizer
    tokenizer = TextTokenizer.fit(train_texts, vocab_size=cfg.vocab_size, max_length=cfg.max_length,
                                  lowercase=cfg.lowercase)

    report(FIT_END, "tokenizing")
    rows, counts = _encode(tokenizer, [p.record.text for p in planned], report)

    report(ENCODE_END, "writing token arrays")
    save_token_rows(store, dataset.id, tokenizer, rows)

    report(ENCODE_END + 0.05, f"writing {len(planned)} samples")
    words = [word_count(p.record.text) for p in planned]
    stats = _stats(planned, classes, counts, words, tokenizer)
    stats["metadata_columns"] = dict(source.metadata_columns)
    stats["duplicates"] = {**duplicate_stats(planned), "dropped_from_train": dropped}
    stats["val_groups"] = options.group_column or "movie_id"
    # Normally a no-op: a run that died before committing left nothing. Kept so a retry can never collide.
    session.execute(delete(Sample).where(Sample.dataset_id == dataset.id))
    batch: list[dict[str, Any]] = []
    for index, (p, (tokens, oov, truncated), n_words) in enumerate(zip(planned, counts, words, strict=True)):
        r = p.record
        batch.append({
            "dataset_id": dataset.id, "index": index, "key": r.key, "split": p.split, "label": p.label,
            "text": r.text, "score": r.score, "movie_id": r.movie_id, "word_count": n_words,
            "token_count": tokens, "oov_count": oov, "truncated": truncated, "meta": r.meta,
        })
        if len(batch) == INSERT_CHUNK:
            session.execute(insert(Sample), batch)
            batch = []
    if batch:
        session.execute(insert(Sample), batch)
    dataset.status = "ready"
    dataset.error = None
    dataset.classes = list(classes)
    dataset.num_samples = len(planned)
    dataset.tokenizer_key = tokenizer_key(dataset.id)
    dataset.tokens_key = ids_key(dataset.id)
    dataset.config = {**options.config, "val_count": stats["counts"][Split.VAL]["total"]}
    dataset.stats = stats
    session.commit()
    return stats


def select_subset(reviews: Sequence[ImdbReview], per_class: int | None, seed: int) -> list[ImdbReview]:
    """`per_class` reviews per (split, class), chosen with the seed; all of them when None.

    Groups are sorted by review id first, so an archive and its extracted folder give the same subset.
    """
    if per_class is None:
        return list(reviews)
    groups: dict[tuple[str, int], list[ImdbReview]] = defaultdict(list)
    for r in reviews:
        groups[(r.split, r.label)].append(r)
    out: list[ImdbReview] = []
    rng = np.random.default_rng([seed, 1])
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda r: r.review_id)
        if len(group) > per_class:
            chosen = rng.choice(len(group), size=per_class, replace=False)
            group = [group[i] for i in sorted(chosen)]
        out.extend(group)
    return out


def _encode(tokenizer: TextTokenizer, texts: Sequence[str],
            report: Progress) -> tuple[list[npt.NDArray[np.int32]], list[tuple[int, int, bool]]]:
    """Model ids (cut to max_length) and (token count, OOV count, truncated) per text, in chunks so that
    progress can be reported."""
    rows: list[npt.NDArray[np.int32]] = []
    counts: list[tuple[int, int, bool]] = []
    limit = tokenizer.max_length
    for start in range(0, len(texts), ENCODE_CHUNK):
        for ids in tokenizer.encode_ids_batch(texts[start: start + ENCODE_CHUNK]):
            arr = np.asarray(ids, dtype=np.int32)
            rows.append(arr[:limit])
            counts.append((len(arr), int(np.count_nonzero(arr == OOV_ID)), len(arr) > limit))
        done = min(start + ENCODE_CHUNK, len(texts))
        report(FIT_END + (ENCODE_END - FIT_END) * done / len(texts), f"tokenizing: {done}/{len(texts)}")
    return rows, counts


def _stats(planned: Sequence[Planned], classes: Sequence[str], counts: Sequence[tuple[int, int, bool]],
           words: Sequence[int], tokenizer: TextTokenizer) -> dict[str, Any]:
    return dataset_stats(
        split=np.array([SPLITS.index(p.split) for p in planned], dtype=np.int64),
        label=np.array([p.label for p in planned], dtype=np.int64), classes=classes,
        tokens=np.array([c[0] for c in counts], dtype=np.int64), oov=np.array([c[1] for c in counts], dtype=np.int64),
        words=np.asarray(words, dtype=np.int64), tokenizer=tokenizer,
        movies=len({p.record.movie_id for p in planned if p.record.movie_id is not None}))


def dataset_stats(*, split: npt.NDArray[np.int64], label: npt.NDArray[np.int64], classes: Sequence[str],
                  tokens: npt.NDArray[np.int64], oov: npt.NDArray[np.int64], words: npt.NDArray[np.int64],
                  tokenizer: TextTokenizer, movies: int) -> dict[str, Any]:
    """A dataset's stats from per-sample arrays in sample order (split as an index into SPLITS; tokens before
    truncation): the one definition the in-memory and the streamed import both report."""
    per_split: dict[str, dict[str, int]] = {}
    oov_by_split = {}
    for code, name in enumerate(SPLITS):
        mask = split == code
        by_class = np.bincount(label[mask], minlength=len(classes))
        row = {c: int(by_class[k]) for k, c in enumerate(classes)}
        per_split[name] = {**row, "total": sum(row.values())}
        total = int(tokens[mask].sum())
        oov_by_split[name] = float(oov[mask].sum() / total) if total else 0.0
    some = len(tokens) > 0
    return {
        "counts": per_split,
        "num_samples": len(split),
        "vocab_size": tokenizer.vocab_size,
        "max_length": tokenizer.max_length,
        "token_count_mean": float(tokens.mean()) if some else 0.0,
        "token_count_p95": float(np.percentile(tokens, 95)) if some else 0.0,
        "word_count_mean": float(words.mean()) if some else 0.0,
        "oov_rate": float(oov.sum() / max(int(tokens.sum()), 1)),
        "oov_rate_by_split": oov_by_split,
        "truncated_fraction": float((tokens > tokenizer.max_length).mean()) if some else 0.0,
        "movies": movies,
    }


def _mark_failed(session: Session, dataset_id: int, message: str) -> None:
    try:
        dataset = session.get(Dataset, dataset_id)
        if dataset is not None:
            dataset.status = "failed"
            dataset.error = message[:4000]
            dataset.num_samples = 0
            dataset.tokenizer_key = None
            dataset.tokens_key = None
            dataset.stats = {}
            session.commit()
    except Exception:  # the original error matters more; this one is only logged
        session.rollback()
        log.exception("could not mark dataset %s failed", dataset_id)
