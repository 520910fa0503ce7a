"""What one version trains and evaluates on: token arrays, labels and splits in sample-index order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.artifacts import get_store
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, ModelVersion, Sample
from backend.core.text import token_store
from backend.core.text.token_store import TokenArrays
from backend.core.vocabulary import Split
from worker.models.word_vectors import vocabulary


@dataclass(frozen=True)
class TrainingData:
    arrays: TokenArrays
    sample_ids: npt.NDArray[np.int64]  # row i -> Sample.id
    labels: npt.NDArray[np.int64]  # the stored labels; every evaluation is measured against these
    splits: npt.NDArray[np.str_]
    # Rows the optimiser sees (train split minus exclusions) and their labels (with relabels applied).
    train_rows: npt.NDArray[np.int64]
    train_labels: npt.NDArray[np.int64]  # indexed by row, like `labels`
    vocab: list[str]  # id -> word: lets an architecture start from pretrained vectors
    num_classes: int

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return self.arrays.lengths

    def rows(self, split: str) -> npt.NDArray[np.int64]:
        return np.flatnonzero(self.splits == split).astype(np.int64)


class DataFixError(ValueError):
    pass


def load_training_data(session: Session, version: ModelVersion,
                       store: ArtifactStore | None = None) -> TrainingData:
    store = store or get_store()
    dataset = session.get(Dataset, version.dataset_id)
    if dataset is None or dataset.status != "ready":
        raise ValueError(f"dataset {version.dataset_id} of version {version.id} is not ready")
    rows = session.execute(
        select(Sample.index, Sample.id, Sample.label, Sample.split)
        .where(Sample.dataset_id == dataset.id).order_by(Sample.index)
    ).all()
    arrays = token_store.load_tokens(store, dataset.id)
    if len(rows) != len(arrays) or any(r[0] != i for i, r in enumerate(rows)):
        raise ValueError(f"dataset {dataset.id}: samples and token arrays disagree (indices must be 0..N-1)")
    sample_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    labels = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    splits = np.array([r[3] for r in rows], dtype=np.str_)
    num_classes = max(len(dataset.classes), int(labels.max(initial=0)) + 1)
    train_rows, train_labels = apply_data_fixes(version.data_fixes or {}, sample_ids, labels, splits,
                                                num_classes)
    vocab = vocabulary(token_store.load_tokenizer(store, dataset.id))
    return TrainingData(arrays=arrays, sample_ids=sample_ids, labels=labels, splits=splits,
                        train_rows=train_rows, train_labels=train_labels, vocab=vocab,
                        num_classes=num_classes)


def apply_data_fixes(fixes: dict[str, object], sample_ids: npt.NDArray[np.int64],
                     labels: npt.NDArray[np.int64], splits: npt.NDArray[np.str_], num_classes: int,
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """{"exclude": [sample_id, ...], "relabel": {"<sample_id>": label}}, applied to the TRAIN split only:
    val and test must stay the fixed yardstick that versions are compared on."""
    row_of = {int(s): i for i, s in enumerate(sample_ids)}
    is_train = splits == Split.TRAIN
    train_labels = labels.copy()
    relabel = fixes.get("relabel") or {}
    if not isinstance(relabel, dict):
        raise DataFixError("data_fixes.relabel must map sample ids to labels")
    for raw_id, label in relabel.items():
        row = row_of.get(int(raw_id))
        if row is None:
            raise DataFixError(f"data_fixes.relabel: sample {raw_id} is not in the dataset")
        if not 0 <= int(label) < num_classes:
            raise DataFixError(f"data_fixes.relabel: label {label} of sample {raw_id} is out of range")
        if is_train[row]:
            train_labels[row] = int(label)
    keep = is_train.copy()
    exclude = fixes.get("exclude") or []
    if not isinstance(exclude, list):
        raise DataFixError("data_fixes.exclude must be a list of sample ids")
    for raw_id in exclude:
        row = row_of.get(int(raw_id))
        if row is None:
            raise DataFixError(f"data_fixes.exclude: sample {raw_id} is not in the dataset")
        keep[row] = False
    return np.flatnonzero(keep).astype(np.int64), train_labels
