"""Where the model runs: a GPU of its own when there is one (worker/pipeline/gpu_claim.py), else the CPU;
and how many CPU threads torch may use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from backend.core.settings import get_settings
from worker.models.base import TextClassifier
from worker.pipeline.gpu_claim import claim_gpu


def pick_device() -> torch.device:
    if not torch.cuda.is_available():
        return torch.device("cpu")
    index = claim_gpu(torch.cuda.device_count(), get_settings().gpu_locks)
    # Also the current device, for whatever allocates on plain "cuda" (cuDNN workspaces, RNG states).
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def configure_threads() -> None:
    """Honour LENSBOARD_TORCH_THREADS (workers share hosts; unbounded threads oversubscribe the CPU)."""
    threads = get_settings().torch_threads
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@contextmanager
def model_threads(model: TextClassifier, device: torch.device) -> Iterator[None]:
    """On the CPU, torch's threads capped at the architecture's `max_threads` while a pass runs, unless
    LENSBOARD_TORCH_THREADS chose them; the previous count comes back afterwards (a worker process goes
    on to other architectures)."""
    before = torch.get_num_threads()
    cap = model.max_threads
    if device.type != "cpu" or cap is None or before <= cap or get_settings().torch_threads:
        yield
        return
    torch.set_num_threads(cap)
    try:
        yield
    finally:
        torch.set_num_threads(before)
