"""Where the model runs: a GPU of its own when there is one (worker/pipeline/gpu_claim.py), else the CPU;
and how many CPU threads torch may use."""

from __future__ import annotations

import torch

from backend.core.settings import get_settings
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
