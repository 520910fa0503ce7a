"""Seeded, reproducible runs, and the RNG state a checkpoint carries so that a resumed run continues
exactly where the uninterrupted one would have been."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> np.random.Generator:
    """Seed python, numpy and torch (CPU and CUDA); return the generator used for batch order."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    # Deterministic kernels where torch has them; on CPU every op we use is deterministic already.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def capture_rng(batch_rng: np.random.Generator) -> dict[str, Any]:
    """Plain tensors, dicts and ints only, so that checkpoints load with `weights_only=True`."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": _to_lists(random.getstate()),
        "batch": batch_rng.bit_generator.state,
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> np.random.Generator:
    """Restore the states captured by `capture_rng`; return the batch-order generator."""
    torch.set_rng_state(state["torch"])
    random.setstate(_to_tuples(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    batch_rng = np.random.default_rng()
    batch_rng.bit_generator.state = state["batch"]
    return batch_rng


def _to_lists(obj: Any) -> Any:
    if isinstance(obj, tuple | list):
        return [_to_lists(x) for x in obj]
    return obj


def _to_tuples(obj: Any) -> Any:
    if isinstance(obj, list):
        return tuple(_to_tuples(x) for x in obj)
    return obj
