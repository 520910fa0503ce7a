"""Where the model runs: CUDA when present, else CPU; and how many CPU threads torch may use."""

from __future__ import annotations

import torch

from backend.settings import get_settings


def pick_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def configure_threads() -> None:
    """Honour LENSBOARD_TORCH_THREADS (workers share hosts; unbounded threads oversubscribe the CPU)."""
    threads = get_settings().torch_threads
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
