"""`python -m tests.support.held_worker GO_FILE CELERY_ARGS...`: import what a worker imports, wait until
GO_FILE exists, then run `celery CELERY_ARGS...` in this same process.

A test that kills a worker can have the replacement's imports (several seconds of CPU) done beforehand:
until released, the process holds no broker or database connection and no job, so what starts on
release is a fresh worker all the same.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main() -> None:
    go, celery_args = Path(sys.argv[1]), sys.argv[2:]
    from backend.core.jobs.app import TASK_MODULES

    for name in TASK_MODULES:  # in Celery's order: worker.lifecycle configures numba's cache first
        importlib.import_module(name)
    while not go.exists():
        time.sleep(0.02)
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *celery_args]
    celery_main()


if __name__ == "__main__":
    main()
