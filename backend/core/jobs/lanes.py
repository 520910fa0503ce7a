"""Lanes: the two Celery queues of a deployment, so quick work never waits behind long work.

`interactive` carries what a person is waiting for (analyses, maps); `bulk` carries imports and training.
Each job kind belongs to one lane (LANE_FOR_KIND), and `backend.core.jobs.submit.dispatch` is the one place
that routes a job to its lane's queue. A worker serves one lane or both (`lensboard worker --lane`).
"""

from __future__ import annotations

from enum import StrEnum

from backend.core.settings import get_settings
from backend.core.vocabulary import JobKind


class Lane(StrEnum):
    INTERACTIVE = "interactive"
    BULK = "bulk"


LANE_FOR_KIND: dict[str, Lane] = {
    JobKind.ANALYZE: Lane.INTERACTIVE,
    JobKind.MAP: Lane.INTERACTIVE,
    JobKind.IMPORT: Lane.BULK,
    JobKind.TRAIN: Lane.BULK,
    JobKind.SUSPECTS: Lane.BULK,
    JobKind.SUSPECTS_FOLD: Lane.BULK,
    # Long work, and part of a training: never in the way of an analysis.
    JobKind.EVAL_SHARD: Lane.BULK,
}

# Interactive first: a worker that serves both lanes (one GPU host) takes a waiting analysis before the
# next training job.
LANE_ORDER: tuple[Lane, ...] = (Lane.INTERACTIVE, Lane.BULK)


def lane_of(kind: str) -> Lane:
    """A kind this version does not know (a newer deployment's) is treated as long work."""
    return LANE_FOR_KIND.get(kind, Lane.BULK)


def queue_name(lane: Lane | str) -> str:
    """The broker queue of a lane: the deployment's queue name (LENSBOARD_QUEUE) dot the lane."""
    return f"{get_settings().queue}.{Lane(lane)}"


def queues_of(lane: str) -> list[str]:
    """The queues a worker of `lane` ("interactive", "bulk" or "all") consumes, in the order it prefers."""
    if lane == "all":
        return [queue_name(x) for x in LANE_ORDER]
    return [queue_name(Lane(lane))]
