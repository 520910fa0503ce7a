"""Worker process start-up: numba's compilation cache, thread settings, recovery of jobs whose worker died."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import task_received, worker_process_init, worker_ready, worker_shutdown

from backend.core.db.session import default_session_factory
from backend.core.settings import get_settings
from backend.core.sweeps.trials import continue_active_sweeps
from worker.job_runner import beat_worker, forget_worker, mark_reserved, recover_orphaned_jobs
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
    """Resume jobs orphaned by a dead worker now, and keep checking for stale leases; and ask the next
    trial of a Bayesian sweep whose worker died between finishing a trial and asking the next one."""
    def loop() -> None:
        stop = threading.Event()
        while True:
            try:
                requeued = recover_orphaned_jobs()
                if requeued:
                    log.warning("re-enqueued orphaned jobs %s", requeued)
                with default_session_factory()() as s:
                    continued = continue_active_sweeps(s)
                if continued:
                    log.warning("asked the next trials of waiting sweeps: jobs %s", [j.id for j in continued])
            except Exception:
                log.exception("orphan recovery failed")
            stop.wait(get_settings().job_lease_seconds / 2)

    threading.Thread(target=loop, name="orphan-recovery", daemon=True).start()


@worker_ready.connect
def _start_beating(**_: Any) -> None:
    """Tell /api/ready this worker is alive: a row in `worker_beat`, refreshed every heartbeat period."""
    def loop() -> None:
        stop = threading.Event()
        while True:
            try:
                beat_worker()
            except Exception:  # the database may be briefly down; the next beat retries
                log.exception("worker heartbeat failed")
            stop.wait(get_settings().heartbeat_seconds)

    threading.Thread(target=loop, name="worker-beat", daemon=True).start()


@worker_shutdown.connect
def _stop_beating(**_: Any) -> None:
    try:
        forget_worker()
    except Exception:
        log.exception("could not remove this worker's heartbeat")


@task_received.connect
def _reserved(request: Any = None, **_: Any) -> None:
    """A message taken off a lane: record who holds it, so that recovery knows the job waits, not lost.

    Runs in the worker's main process (the one WorkerBeat names), before the task is handed to the pool."""
    try:
        args = list(request.args) if request is not None else []
        if args and isinstance(args[0], int):
            mark_reserved(args[0])
    except Exception:  # recovery then goes by the queue alone; never refuse the task for this
        log.exception("could not record the reservation of %s", getattr(request, "id", "?"))
