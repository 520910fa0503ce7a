"""Gradient clipping: the joint gradient norm is at most `grad_clip` at every optimiser step."""

from __future__ import annotations

import numpy as np
import torch

from backend.core.specs.architectures import validate_hyperparameters
from backend.core.text.token_store import TokenArrays
from tests.unit.arch_support import make_model, toy_task
from worker.pipeline.train import train_one_epoch


def _arrays(ids: torch.Tensor, lengths: torch.Tensor) -> TokenArrays:
    rows = [ids[i, : int(lengths[i])].numpy().astype(np.int32) for i in range(len(ids))]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    return TokenArrays(ids=np.concatenate(rows), offsets=offsets)


class Recording(torch.optim.SGD):
    """SGD that records the joint gradient norm it steps with."""

    seen: list[float]

    def step(self, closure=None):  # type: ignore[no-untyped-def,override]
        grads = [p.grad.norm() for g in self.param_groups for p in g["params"] if p.grad is not None]
        self.seen.append(float(torch.linalg.vector_norm(torch.stack(grads))))
        return super().step(closure)


def test_steps_see_gradients_clipped_to_the_limit() -> None:
    ids, lengths, labels = toy_task(32)
    arrays = _arrays(ids, lengths)
    norms: dict[float, list[float]] = {}
    for clip in (0.0, 0.01):
        model = make_model("lstm", dropout=0.0)
        opt = Recording(model.parameters(), lr=0.1)
        opt.seen = []
        batches = [np.arange(i, i + 8, dtype=np.int64) for i in range(0, 32, 8)]
        train_one_epoch(model, opt, arrays, batches, labels.numpy(), torch.device("cpu"), grad_clip=clip)
        norms[clip] = opt.seen
    assert max(norms[0.01]) <= 0.01 + 1e-6
    assert max(norms[0.0]) > 0.01  # without clipping the same steps have larger gradients


def test_lstm_and_bilstm_defaults_are_their_sweeps_best_trials() -> None:
    hp = validate_hyperparameters("lstm", {})
    assert (hp["layers"], hp["hidden_size"], hp["dropout"], hp["learning_rate"], hp["batch_size"],
            hp["grad_clip"]) == (2, 150, 0.3, 3e-3, 128, 1.0)
    bi = validate_hyperparameters("bilstm", {})
    assert (bi["bidirectional"], bi["dropout"], bi["learning_rate"], bi["hidden_size"]) == (True, 0.3, 3e-3, 150)
    assert validate_hyperparameters("cnn", {})["grad_clip"] == 0.0


def test_minilm_head_schedule_is_its_sweeps_best_trial() -> None:
    hp = validate_hyperparameters("minilm", {})
    assert (hp["learning_rate"], hp["lr_decay"], hp["head_hidden"], hp["pooling"]) == (3e-3, 0.5, 128, "layers")
    assert validate_hyperparameters("cnn", {})["learning_rate"] == 1e-3  # MiniLM's own, not the shared default
