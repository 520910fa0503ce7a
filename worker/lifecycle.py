"""Worker process start-up: numba's compilation cache, thread settings, recovery of jobs whose worker died."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_process_init, worker_ready

from backend.settings import get_settings
from worker.pipeline import jit_cache

log = logging.getLogger(__name__)

# First among the worker's task modules, so it runs before anything imports numba.
jit_cache.configure(get_settings().numba_cache_dir)


@worker_process_init.connect
def _configure_torch(**_: Any) -> None:
    import torch

    threads = get_settings().torch_threads
    if threads:
        torch.set_num_threads(threads)


@worker_ready.connect
def _recover(**_: Any) -> None:
    """Resume jobs orphaned by a dead worker now, and keep checking for stale leases."""
    from worker.job_runner import recover_orphaned_jobs

    def loop() -> None:
        stop = threading.Event()
        while True:
            try:
                requeued = recover_orphaned_jobs()
                if requeued:
                    log.warning("re-enqueued orphaned jobs %s", requeued)
            except Exception:
                log.exception("orphan recovery failed")
            stop.wait(get_settings().job_lease_seconds / 2)

    threading.Thread(target=loop, name="orphan-recovery", daemon=True).start()
