"""One epoch, top to bottom: train -> checkpoint -> evaluate (keeping the pooled activations for the map)
-> write results -> mark the epoch done.

Everything the epoch leaves in the database (per-sample results, epoch metrics, the checkpoint row,
the last batch metrics and `version.epochs_done`) commits in ONE transaction, so a worker killed at
any point leaves either the whole epoch or none of it (its live batch metrics are deleted on resume).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.core.class_probabilities import keeps_class_probabilities, save_class_probabilities
from backend.core.db.models import ModelVersion
from backend.core.db.session import session_scope
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.checkpoint import SavedCheckpoint, record_checkpoint, save_checkpoint
from worker.pipeline.evaluate import EvalResult, evaluate
from worker.pipeline.pooled_store import save_pooled
from worker.pipeline.results import BatchMetricWriter, trained_on, write_epoch_metrics, write_sample_results
from worker.pipeline.run_state import TrainingRun
from worker.pipeline.seeding import capture_rng
from worker.pipeline.train import BatchStats, TrainStats, set_epoch_learning_rate, train_one_epoch


@dataclass(frozen=True)
class EpochOutcome:
    epoch: int
    train: TrainStats
    eval_seconds: float
    metrics: dict[str, dict[str, float]]  # split -> loss, accuracy, count
    checkpoint: SavedCheckpoint


class EpochConflict(RuntimeError):
    """Another worker committed this epoch first (the lease was lost); this attempt rolls back."""


def run_epoch(run: TrainingRun, epoch: int, on_batch: Callable[[BatchStats], None] | None = None,
              on_stage: Callable[[str], None] | None = None,
              guard: Callable[[Session], None] | None = None,
              evaluate_all: Callable[[SavedCheckpoint], EvalResult] | None = None) -> EpochOutcome:
    """`guard(session)` runs last in every transaction that writes the epoch's rows (the live batch
    metrics, the epoch's commit), just before its commit; raising there rolls it back (see
    JobContext.hold). Last, so that whatever it locks stays locked only for the commit.

    `evaluate_all(checkpoint)`: evaluates every row (pooled activations kept) in place of this process's
    own pass, e.g. as shard jobs on several workers (worker/pipeline/eval_shards.py)."""
    data, p, vid = run.data, run.params, run.version.id
    batches = bucketed_batches(data.lengths, data.train_rows, p.batch_size, p.bucket_chunk_batches,
                               run.batch_rng)
    live = BatchMetricWriter(run.factory, vid, epoch, first_step=(epoch - 1) * len(batches) + 1, guard=guard)

    def batch_done(stats: BatchStats) -> None:
        live.add(stats)
        if on_batch is not None:
            on_batch(stats)

    set_epoch_learning_rate(run.optimizer, p.learning_rate, p.lr_decay, epoch)
    trained = train_one_epoch(run.model, run.optimizer, data.arrays, batches, data.train_labels, run.device,
                              batch_done, grad_clip=p.grad_clip)
    saved = save_checkpoint(run.store, run.version, epoch, run.model, run.optimizer,
                            capture_rng(run.batch_rng), data.vocab_size)
    if on_stage is not None:
        on_stage("evaluating")
    if evaluate_all is not None:
        evaluated = evaluate_all(saved)
    else:
        evaluated = evaluate(run.model, data.arrays, np.arange(len(data.arrays)), data.labels, run.device,
                             p.eval_batch_size, pool_layers=True)
    assert evaluated.pooled is not None
    # Like the checkpoint, written before the commit: the epoch's map never finds it missing.
    save_pooled(run.store, vid, epoch, evaluated.pooled)
    if keeps_class_probabilities(evaluated.probs.shape[1]):
        save_class_probabilities(run.store, vid, epoch, evaluated.probs)

    # Train metrics on what was trained: excluded rows left out, relabelled ones scored on their new label.
    trained_rows = trained_on(run.model.loss_fn, evaluated, data.train_rows, data.train_labels)
    with session_scope(run.factory) as s:
        live.drain(s)
        write_sample_results(s, vid, epoch, data.sample_ids, data.labels, evaluated)
        metrics = write_epoch_metrics(s, vid, epoch, data.splits, data.labels, evaluated, trained.seconds,
                                      train=trained_rows)
        record_checkpoint(s, vid, epoch, saved)
        mark_epoch_done(s, vid, epoch)
        if guard is not None:
            guard(s)
    run.epochs_done = epoch
    return EpochOutcome(epoch=epoch, train=trained, eval_seconds=evaluated.seconds, metrics=metrics,
                        checkpoint=saved)


def mark_epoch_done(session: Session, version_id: int, epoch: int) -> None:
    res = session.execute(update(ModelVersion).where(ModelVersion.id == version_id,
                                                     ModelVersion.epochs_done == epoch - 1)
                          .values(epochs_done=epoch))
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise EpochConflict(f"version {version_id}: epoch {epoch} was already committed elsewhere")
