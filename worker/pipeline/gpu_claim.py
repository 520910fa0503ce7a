"""Which GPU a worker process trains on when several workers share a host's GPUs.

Compose gives every replica of a scaled service the same devices (`count: 1` is the first GPU for all
of them), and a worker with concurrency > 1 runs several processes on one host. So each worker process
sees all of the host's GPUs and claims one: an exclusive flock on a file per GPU, in a folder that the
host's workers share (LENSBOARD_GPU_LOCK_DIR; a named volume in compose). The kernel releases the lock
when the process dies, so a killed worker's GPU is free again at once. With more processes than GPUs
the extra ones share, spread by pid.
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import IO

# (pid, index, the open lock file): a forked child must claim for itself, not inherit its parent's claim.
_claim: tuple[int, int, IO[str] | None] | None = None


def physical_ids(count: int) -> list[str]:
    """The host's names for the visible devices, so that workers pinned with different
    CUDA_VISIBLE_DEVICES but sharing a lock folder do not mistake one GPU for another."""
    visible = [s.strip() for s in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if s.strip()]
    return [visible[i] if i < len(visible) else str(i) for i in range(count)]


def claim_gpu(count: int, lock_dir: Path) -> int:
    """The index (among the visible devices) of the GPU this process uses; the same on every call."""
    global _claim
    pid = os.getpid()
    if _claim is not None and _claim[0] == pid:
        return _claim[1]
    lock_dir.mkdir(parents=True, exist_ok=True)
    for i, gpu in enumerate(physical_ids(count)):
        f = open(lock_dir / f"gpu-{re.sub(r'[^A-Za-z0-9_-]', '_', gpu)}.lock", "a")  # noqa: SIM115 (held for life)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            continue
        _claim = (pid, i, f)
        return i
    _claim = (pid, pid % count, None)
    return _claim[1]
