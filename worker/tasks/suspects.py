"""Mislabel ranking tasks: the parent ("suspects") and one task per cross-validation fold.

The K fold tasks run in parallel on however many workers there are; see worker/mislabels/jobs.py
for how the last one to finish triggers the ranking without a Celery chord.
"""

from __future__ import annotations

from backend.core.jobs.app import celery_app
from worker.mislabels.jobs import run_fold, run_parent


@celery_app.task(name="lensboard.rank_suspects")  # type: ignore[untyped-decorator]
def rank_suspects(job_id: int) -> None:
    run_parent(job_id)


@celery_app.task(name="lensboard.suspects_fold")  # type: ignore[untyped-decorator]
def suspects_fold(job_id: int) -> None:
    run_fold(job_id)
