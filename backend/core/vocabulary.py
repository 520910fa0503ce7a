"""The words the API, the CLI and the worker share, each defined once.

String enums: a member equals the string stored in the database and sent as JSON (`Split.TRAIN == "train"`),
and the API's schemas type their fields with them, so OpenAPI names each as an enum and the generated
TypeScript client gets it too.
"""

from __future__ import annotations

from enum import StrEnum


class Split(StrEnum):
    TRAIN = "train"
    VAL = "val"
    TEST = "test"


# In this order: arrays of split codes (the map's population, the points table) index this tuple.
SPLITS: tuple[Split, ...] = tuple(Split)


class FlagState(StrEnum):
    """A project's flag on a sample: a suspected mislabel, a confirmed one, or a suspicion dismissed."""

    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class FlagSource(StrEnum):
    """Who raised a flag: a person, the suspects ranking, or a map insight."""

    MANUAL = "manual"
    RANKING = "ranking"
    INSIGHT = "insight"


# The points table's flag column: 0 for no flag, then one code per state in FlagState's order.
FLAG_CODES: dict[str, int] = {state: code for code, state in enumerate(FlagState, start=1)}


class JobKind(StrEnum):
    """What a job does: import a dataset, train a version, analyze samples, build a map, rank suspects."""

    # Each kind runs one Celery task: backend.core.jobs.submit.TASK_FOR_KIND.
    IMPORT = "import"
    TRAIN = "train"
    ANALYZE = "analyze"
    MAP = "map"
    # The mislabel ranking: a parent job and one job per cross-validation fold.
    SUSPECTS = "suspects"
    SUSPECTS_FOLD = "suspects_fold"
    # One row range of a trained epoch's evaluation, when evaluation is sharded (LENSBOARD_EVAL_SHARDS).
    EVAL_SHARD = "eval_shard"


class JobState(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVOKED = "REVOKED"


# A job in one of these states will still run (or is running): it holds its version's slot for its kind.
ACTIVE_STATES: tuple[JobState, ...] = (JobState.PENDING, JobState.STARTED, JobState.PROGRESS)


class MapStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
