"""The job queue: the Celery app (`app.py`) and job rows handed to it by task name (`submit.py`)."""
