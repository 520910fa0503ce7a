"""The one Celery app. The API and the worker's job recovery send tasks through it by name.

Task modules are named as strings in `include` and imported only by worker processes (whose entry point,
`celery -A worker.celery_app`, is worker/celery_app.py), so nothing here imports `worker` or torch.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from backend.core.jobs.broker_queues import lane_queues
from backend.core.jobs.lanes import Lane, queue_name
from backend.core.settings import get_settings

TASK_MODULES = [
    "worker.lifecycle",
    "worker.tasks.imports",
    "worker.tasks.maps",
    "worker.tasks.training",
    "worker.tasks.analysis",
    "worker.tasks.suspects",
]


def make_celery() -> Celery:
    s = get_settings()
    app = Celery("lensboard", broker=s.celery_broker, include=TASK_MODULES)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        # Job state lives in our own database (the job table); Celery results are not needed.
        task_ignore_result=True,
        result_backend=None,
        # A worker that dies mid-task leaves its message unacknowledged so that it is delivered again;
        # the job lease (see worker.job_runner) keeps a redelivered job from running twice.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=6 * 3600,
        task_soft_time_limit=6 * 3600 - 60,
        broker_connection_retry_on_startup=True,
        # kombu's SQLAlchemy transport hands its options to create_engine, so only Redis gets these.
        # "priority": a worker of both lanes polls the interactive queue first (Redis transport; the embedded
        # broker runs one worker per lane instead, see backend/cli/local.py).
        broker_transport_options=(
            {"visibility_timeout": 6 * 3600, "queue_order_strategy": "priority"}
            if s.celery_broker.startswith("redis") else {}
        ),
        worker_hijack_root_logger=False,
        # Every job is sent to its lane's queue (backend.core.jobs.submit.dispatch); a worker started
        # without -Q consumes both, interactive first.
        task_queues=lane_queues(),
        task_default_queue=queue_name(Lane.BULK),
        worker_concurrency=s.worker_concurrency,
    )
    return app


@lru_cache(maxsize=1)
def get_celery() -> Celery:
    """The app for the current settings (tests clear the cache after changing the environment)."""
    return make_celery()


celery_app = get_celery()
