"""A small synthetic token-level task and a TextCNN briefly trained by the pipeline's own loop, for the
map pipeline's unit tests (no database: versions with rows and checkpoints live in versions.py).

Class 0 reviews draw most words from one block of the vocabulary, class 1 from another; a few
"topics" inside each class give the latent space structure beyond the label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from backend.core.population import Population
from backend.core.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.models.registry import build_model
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.evaluate import evaluate
from worker.pipeline.train import make_optimizer, train_one_epoch

VOCAB = 300
SMALL_CNN = {
    "embedding_dim": 16,
    "num_filters": 12,
    "kernel_sizes": [2, 3],
    "dense_units": 16,
    "dropout": 0.1,
    "learning_rate": 0.01,
}


@dataclass
class Synthetic:
    arrays: TokenArrays
    labels: npt.NDArray[np.int64]
    splits: npt.NDArray[np.uint8]


def make_arrays(rows: list[npt.NDArray[np.int64]]) -> TokenArrays:
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(rows).astype(np.int32) if rows else np.zeros(0, np.int32)
    return TokenArrays(ids=ids, offsets=offsets)


def make_synthetic(n: int = 600, seed: int = 0, topics: int = 3) -> Synthetic:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n).astype(np.int64)
    topic = rng.integers(0, topics, size=n)
    block = (VOCAB - 2) // (2 * topics)
    rows = []
    for i in range(n):
        length = int(rng.integers(8, 40))
        start = 2 + (labels[i] * topics + topic[i]) * block
        signal = rng.integers(start, start + block, size=length)
        noise = rng.integers(2, VOCAB, size=length)
        rows.append(np.where(rng.random(length) < 0.6, signal, noise).astype(np.int64))
    splits = rng.choice(np.array([0, 1, 2], dtype=np.uint8), size=n, p=[0.5, 0.1, 0.4])
    return Synthetic(arrays=make_arrays(rows), labels=labels, splits=splits)


def train(
    model: TextClassifier, data: Synthetic, epochs: int, seed: int = 0, batch: int = 32, lr: float = 0.01
) -> TextClassifier:
    """Train on every row with the training pipeline's own epoch loop and length bucketing."""
    torch.manual_seed(seed)
    optimizer = make_optimizer(model, "adam", lr, 0.0)
    rng = np.random.default_rng(seed)
    rows = np.arange(len(data.labels))
    for _ in range(epochs):
        batches = bucketed_batches(data.arrays.lengths, rows, batch, 1, rng)  # plain shuffled batches
        train_one_epoch(model, optimizer, data.arrays, batches, data.labels, torch.device("cpu"))
    return model.eval()


def trained_model(data: Synthetic, epochs: int = 2, seed: int = 0) -> TextClassifier:
    torch.manual_seed(seed)
    return train(build_model("cnn", SMALL_CNN, VOCAB, 2), data, epochs, seed)


def population(
    model: TextClassifier, data: Synthetic, labels: npt.NDArray[np.int64] | None = None, first_id: int = 1
) -> Population:
    """Evaluate the model on every row (the pipeline's evaluation) against `labels` (default: the data's own)."""
    labels = data.labels if labels is None else labels
    result = evaluate(model, data.arrays, np.arange(len(labels)), labels, torch.device("cpu"), 256)
    return Population(
        sample_ids=np.arange(first_id, first_id + len(labels), dtype=np.int64),
        splits=data.splits,
        labels=labels,
        loss=result.loss,
        prediction=result.prediction,
        p_positive=result.probs[:, 1].astype(np.float32),
    )
