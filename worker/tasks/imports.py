"""Dataset import task. (Implemented by the foundation's data work.)"""

from __future__ import annotations

from worker.celery_app import celery_app


@celery_app.task(name="lensboard.import_dataset")
def import_dataset(job_id: int) -> None:
    raise NotImplementedError
