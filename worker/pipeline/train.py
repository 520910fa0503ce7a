"""One pass of the optimiser over the training batches."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from backend.core.text.token_store import TokenArrays
from worker.models.base import TextClassifier
from worker.pipeline.batching import collate
from worker.pipeline.device import model_threads
from worker.pipeline.row_adagrad import RowAdagrad


@dataclass(frozen=True)
class BatchStats:
    batch: int  # 1-based within the epoch
    batches: int
    loss: float
    accuracy: float
    size: int


@dataclass(frozen=True)
class TrainStats:
    loss: float  # sample-weighted mean over the epoch (dropout on)
    accuracy: float
    samples: int
    seconds: float


def train_one_epoch(model: TextClassifier, optimizer: torch.optim.Optimizer, arrays: TokenArrays,
                    batches: Sequence[npt.NDArray[np.int64]], labels: npt.NDArray[np.int64],
                    device: torch.device, on_batch: Callable[[BatchStats], None] | None = None,
                    grad_clip: float = 0.0) -> TrainStats:
    """`grad_clip` > 0 rescales the gradients so that their joint norm is at most that before each step."""
    with model_threads(model, device):
        return _train_one_epoch(model, optimizer, arrays, batches, labels, device, on_batch, grad_clip)


def _train_one_epoch(model: TextClassifier, optimizer: torch.optim.Optimizer, arrays: TokenArrays,
                     batches: Sequence[npt.NDArray[np.int64]], labels: npt.NDArray[np.int64],
                     device: torch.device, on_batch: Callable[[BatchStats], None] | None,
                     grad_clip: float) -> TrainStats:
    start = time.perf_counter()
    model.train()
    total_loss, total_correct, total = 0.0, 0, 0
    min_len = model.min_length()
    targets_all = torch.from_numpy(labels)
    for b, rows in enumerate(batches, start=1):
        token_ids, lengths = collate(arrays, rows, min_len)
        token_ids, lengths = token_ids.to(device, non_blocking=True), lengths.to(device, non_blocking=True)
        targets = targets_all[torch.from_numpy(rows)].to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        logits = model(token_ids, lengths)
        loss = model.loss_fn(logits, targets)
        loss.backward()  # type: ignore[no-untyped-call]
        if grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        batch_loss = float(loss.detach())
        correct = int((logits.detach().argmax(1) == targets).sum())
        n = len(rows)
        total_loss += batch_loss * n
        total_correct += correct
        total += n
        if on_batch is not None:
            on_batch(BatchStats(batch=b, batches=len(batches), loss=batch_loss, accuracy=correct / n, size=n))
    return TrainStats(loss=total_loss / max(total, 1), accuracy=total_correct / max(total, 1), samples=total,
                      seconds=time.perf_counter() - start)


def set_epoch_learning_rate(optimizer: torch.optim.Optimizer, learning_rate: float, lr_decay: float,
                            epoch: int) -> float:
    """Set the rate for 1-based `epoch`; a pure function of the epoch, so a resumed run gets the same one."""
    lr = learning_rate * lr_decay ** (epoch - 1)
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr


def make_optimizer(model: torch.nn.Module, name: str, learning_rate: float, weight_decay: float,
                   ) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate, weight_decay=weight_decay, momentum=0.9)
    if name == "adagrad":
        return RowAdagrad(params, lr=learning_rate, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")
