"""The worker's entry point: `celery -A worker.celery_app worker` (the CLI, compose and the tests start it so).

The app itself lives in backend.core.jobs.app, through which the API sends tasks by name; a worker started
here imports the task modules that app's `include` names.
"""

from backend.core.jobs.app import celery_app

__all__ = ["celery_app"]
