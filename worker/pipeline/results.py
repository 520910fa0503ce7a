"""Writing what an epoch produced: per-sample results in bulk, per-split epoch metrics, batch metrics.

Per-sample results are 50k rows an epoch: PostgreSQL takes them through COPY on the session's own
connection (so they join the epoch's transaction), SQLite through one executemany.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker
from torch import Tensor

from backend.core.db.models import BatchMetric, EpochMetric, SampleResult
from worker.models.base import Reduction
from worker.pipeline.evaluate import EvalResult
from worker.pipeline.train import BatchStats

SAMPLE_RESULT_COLUMNS = ("version_id", "epoch", "sample_id", "loss", "p_positive", "p_label", "prediction")


def write_sample_results(session: Session, version_id: int, epoch: int, sample_ids: npt.NDArray[np.int64],
                         labels: npt.NDArray[np.int64], result: EvalResult) -> int:
    """Replace the (version, epoch) rows with one row per evaluated sample; no commit."""
    session.execute(delete(SampleResult).where(SampleResult.version_id == version_id,
                                               SampleResult.epoch == epoch))
    positive = result.probs[:, 1] if result.probs.shape[1] > 1 else result.probs[:, 0]
    columns = (
        sample_ids.tolist(), result.loss.astype(float).tolist(), positive.astype(float).tolist(),
        result.p_of(labels).astype(float).tolist(), result.prediction.tolist(),
    )
    rows = [(version_id, epoch, *r) for r in zip(*columns, strict=True)]
    if session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, rows)
    else:
        # The driver's executemany on the tuples: the ORM's bulk insert builds and processes a dict per row,
        # twice the CPU (1.5 s per 100k rows).
        cols, marks = ", ".join(SAMPLE_RESULT_COLUMNS), ", ".join("?" * len(SAMPLE_RESULT_COLUMNS))
        session.connection().exec_driver_sql(
            f"INSERT INTO {SampleResult.__tablename__} ({cols}) VALUES ({marks})", rows)
    return len(rows)


def _copy_rows(session: Session, rows: Sequence[tuple[object, ...]]) -> None:
    # The psycopg 3 connection under the session's current transaction.
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    cols = ", ".join(SAMPLE_RESULT_COLUMNS)
    with dbapi.cursor() as cur, cur.copy(f"COPY {SampleResult.__tablename__} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class TrainedOn:
    """The train split as the optimiser saw it: its rows (exclusions left out) and the labels it was fitted to
    (relabels applied), and each row's loss against those labels."""

    rows: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]  # aligned with rows
    loss: npt.NDArray[np.float64]  # aligned with rows


def trained_on(loss_fn: Callable[[Tensor, Tensor, Reduction], Tensor], result: EvalResult,
               rows: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> TrainedOn:
    """Per-row loss of the train rows against the labels trained on, from the evaluated probabilities: the
    architecture's loss on log-probabilities is its loss on the logits (softmax(log p) = p)."""
    log_p = torch.from_numpy(np.log(np.clip(result.probs[rows].astype(np.float64), 1e-12, 1.0)))
    with torch.no_grad():
        loss = loss_fn(log_p, torch.from_numpy(labels[rows]), "none").numpy()
    return TrainedOn(rows=rows, labels=labels[rows], loss=loss)


def write_epoch_metrics(session: Session, version_id: int, epoch: int, splits: npt.NDArray[np.str_],
                        labels: npt.NDArray[np.int64], result: EvalResult,
                        seconds: float, train: TrainedOn | None = None) -> dict[str, dict[str, float]]:
    """One EpochMetric per split: mean per-sample loss and accuracy, as stored in SampleResult; the train
    split's on the rows and labels the model was trained on (`train`), when given."""
    session.execute(delete(EpochMetric).where(EpochMetric.version_id == version_id,
                                              EpochMetric.epoch == epoch))
    summary: dict[str, dict[str, float]] = {}
    for split in sorted(set(splits.tolist())):
        mask = splits == split
        loss = float(result.loss[mask].astype(np.float64).mean())
        accuracy = float((result.prediction[mask] == labels[mask]).mean())
        count = int(mask.sum())
        if split == "train" and train is not None and len(train.rows):
            loss = float(train.loss.mean())
            accuracy = float((result.prediction[train.rows] == train.labels).mean())
            count = len(train.rows)
        session.add(EpochMetric(version_id=version_id, epoch=epoch, split=split, loss=loss, accuracy=accuracy,
                                count=count, seconds=seconds))
        summary[split] = {"loss": loss, "accuracy": accuracy, "count": count}
    return summary


def delete_unfinished_batch_metrics(session: Session, version_id: int, epochs_done: int) -> int:
    """Batch metrics of epochs that never committed (a worker died mid-epoch): the redo writes them again."""
    res = session.execute(delete(BatchMetric).where(BatchMetric.version_id == version_id,
                                                    BatchMetric.epoch > epochs_done))
    return int(res.rowcount)  # type: ignore[attr-defined]


class BatchMetricWriter:
    """Buffers per-batch metrics and commits them every few batches or seconds, so charts update live.

    Whatever is still buffered at the end of the epoch goes into the epoch's own transaction (`drain`).
    """

    def __init__(self, factory: sessionmaker[Session], version_id: int, epoch: int, first_step: int,
                 every_batches: int = 25, every_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic,
                 guard: Callable[[Session], None] | None = None) -> None:
        self.factory = factory
        self.guard = guard  # runs last in each flush's transaction (see run_epoch)
        self.version_id = version_id
        self.epoch = epoch
        self.first_step = first_step
        self.every_batches = every_batches
        self.every_seconds = every_seconds
        self.clock = clock
        self.pending: list[dict[str, object]] = []
        self.last_flush = clock()

    def add(self, stats: BatchStats) -> None:
        self.pending.append({
            "version_id": self.version_id, "epoch": self.epoch, "batch": stats.batch,
            "step": self.first_step + stats.batch - 1, "loss": stats.loss, "accuracy": stats.accuracy,
            "size": stats.size,
        })
        if len(self.pending) >= self.every_batches or self.clock() - self.last_flush >= self.every_seconds:
            with self.factory() as s:
                self.drain(s)
                if self.guard is not None:
                    self.guard(s)
                s.commit()

    def drain(self, session: Session) -> None:
        """Add the buffered rows to `session`'s transaction."""
        if self.pending:
            session.execute(insert(BatchMetric), self.pending)
            self.pending = []
        self.last_flush = self.clock()
