"""Training task. (Implemented by the foundation's training work.)"""

from __future__ import annotations

from worker.celery_app import celery_app


@celery_app.task(name="lensboard.train_version")
def train_version(job_id: int) -> None:
    raise NotImplementedError
