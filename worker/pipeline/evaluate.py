"""Evaluate every sample once: per-sample loss, class probabilities and prediction."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from backend.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.pipeline.batching import collate, sorted_batches


@dataclass(frozen=True)
class EvalResult:
    """Arrays aligned with the `rows` that were evaluated."""

    loss: npt.NDArray[np.float32]
    probs: npt.NDArray[np.float32]  # (N, C)
    prediction: npt.NDArray[np.int64]
    seconds: float

    def p_of(self, labels: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return self.probs[np.arange(len(labels)), labels]


def evaluate(model: TextClassifier, arrays: TokenArrays, rows: npt.ArrayLike, labels: npt.NDArray[np.int64],
             device: torch.device, batch_size: int = 512) -> EvalResult:
    """`labels` holds the label of each of `rows`. Batches are sorted by length, so padding is minimal."""
    start = time.perf_counter()
    rows = np.asarray(rows, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    position = np.empty(int(rows.max(initial=-1)) + 1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    loss = np.empty(len(rows), dtype=np.float32)
    probs = np.empty((len(rows), model.num_classes), dtype=np.float32)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for batch_rows in sorted_batches(arrays.lengths, rows, batch_size):
            at = position[batch_rows]
            token_ids, lengths = collate(arrays, batch_rows, model.min_length())
            logits = model(token_ids.to(device), lengths.to(device)).float()
            targets = torch.from_numpy(labels[at]).to(device)
            loss[at] = model.loss_fn(logits, targets, reduction="none").cpu().numpy()
            probs[at] = torch.softmax(logits, dim=1).cpu().numpy()
    model.train(was_training)
    return EvalResult(loss=loss, probs=probs, prediction=probs.argmax(1).astype(np.int64),
                      seconds=time.perf_counter() - start)
