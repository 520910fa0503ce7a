"""Evaluate every sample once: per-sample loss, class probabilities and prediction."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from backend.core.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.pipeline.batching import collate, sorted_batches
from worker.pipeline.device import model_threads
from worker.pipeline.latent import LayerPooling


@dataclass(frozen=True)
class EvalResult:
    """Arrays aligned with the `rows` that were evaluated."""

    loss: npt.NDArray[np.float32]
    probs: npt.NDArray[np.float32]  # (N, C)
    prediction: npt.NDArray[np.int64]
    seconds: float
    # With pool_layers: {latent layer: (N, D) float16}, the pooled activations the population map uses.
    pooled: dict[str, npt.NDArray[np.float16]] | None = None

    def p_of(self, labels: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return self.probs[np.arange(len(labels)), labels]


def evaluate(model: TextClassifier, arrays: TokenArrays, rows: npt.ArrayLike, labels: npt.NDArray[np.int64],
             device: torch.device, batch_size: int = 512, pool_layers: bool = False) -> EvalResult:
    """`labels` holds the label of each of `rows`. Batches are sorted by length, so padding is minimal.

    `pool_layers` also keeps every latent layer's pooled activations (float16): the population map
    needs exactly this forward pass, so it comes at the price of the pooling alone.
    """
    with model_threads(model, device):
        return _evaluate(model, arrays, rows, labels, device, batch_size, pool_layers)


def _evaluate(model: TextClassifier, arrays: TokenArrays, rows: npt.ArrayLike, labels: npt.NDArray[np.int64],
              device: torch.device, batch_size: int, pool_layers: bool) -> EvalResult:
    start = time.perf_counter()
    rows = np.asarray(rows, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    position = np.empty(int(rows.max(initial=-1)) + 1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    loss = np.empty(len(rows), dtype=np.float32)
    probs = np.empty((len(rows), model.num_classes), dtype=np.float32)
    was_training = model.training
    model.eval()
    pooling = LayerPooling(model, len(rows), np.float16) if pool_layers else None
    with torch.inference_mode(), pooling or nullcontext():
        for batch_rows in sorted_batches(arrays.lengths, rows, batch_size):
            at = position[batch_rows]
            token_ids, lengths = collate(arrays, batch_rows, model.min_length())
            token_ids, lengths = token_ids.to(device), lengths.to(device)
            if pooling is not None:
                logits = pooling.forward(token_ids, lengths).float()
                pooling.after(at)
            else:
                logits = inference_logits(model, token_ids, lengths).float()
            targets = torch.from_numpy(labels[at]).to(device)
            loss[at] = model.loss_fn(logits, targets, reduction="none").cpu().numpy()
            probs[at] = torch.softmax(logits, dim=1).cpu().numpy()
    model.train(was_training)
    return EvalResult(loss=loss, probs=probs, prediction=probs.argmax(1).astype(np.int64),
                      seconds=time.perf_counter() - start, pooled=pooling.out if pooling is not None else None)


def inference_logits(model: TextClassifier, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The logits an evaluation stores, by the same path whether or not it keeps pooled vectors."""
    if model.fused_pooling:
        return model.forward_pooled(token_ids, lengths)[0]
    return model(token_ids, lengths)  # type: ignore[no-any-return]
