"""Training task: train a version epoch by epoch up to the requested total, resuming after a crash."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Job, ModelVersion
from backend.core.db.session import default_session_factory
from backend.core.jobs.app import celery_app
from backend.core.jobs.submit import start_post_epoch_jobs
from backend.core.settings import get_settings
from backend.core.sweeps.pruning import MedianPruning
from backend.core.sweeps.trials import continue_sweep
from backend.core.vocabulary import JobState
from worker.job_runner import JobContext, JobGone, run_job
from worker.pipeline.checkpoint import SavedCheckpoint
from worker.pipeline.device import configure_threads, pick_device
from worker.pipeline.early_stopping import EarlyStopping
from worker.pipeline.epoch import run_epoch
from worker.pipeline.eval_shards import discard_shards, evaluate_sharded, shard_job
from worker.pipeline.evaluate import EvalResult
from worker.pipeline.results import delete_unfinished_batch_metrics
from worker.pipeline.run_state import TrainingRun, open_run
from worker.pipeline.train import BatchStats

# Share of an epoch's progress bar given to training; evaluating every sample takes the rest.
TRAIN_SHARE = 0.85


@celery_app.task(name="lensboard.train_version")  # type: ignore[untyped-decorator]
def train_version(job_id: int) -> None:
    factory = default_session_factory()
    with run_job(job_id, factory) as ctx:
        if ctx is not None:
            train(ctx)
    # Finished, failed or cancelled: a Bayesian sweep asks its next trial now, from every result so far.
    with factory() as s:
        job = s.get(Job, job_id)
        version = s.get(ModelVersion, job.version_id) if job is not None and job.version_id is not None else None
        if version is not None and version.sweep_id is not None:
            continue_sweep(s, version.sweep_id)


@celery_app.task(name="lensboard.eval_shard")  # type: ignore[untyped-decorator]
def eval_shard(job_id: int) -> None:
    """One row range of a trained epoch's evaluation (worker/pipeline/eval_shards.py)."""
    with run_job(job_id, default_session_factory()) as ctx:
        if ctx is not None:
            configure_threads()
            shard_job(ctx, get_store(), pick_device())


def train(ctx: JobContext, store: ArtifactStore | None = None) -> dict[str, Any]:
    """The task's body: callable directly (tests) with a claimed JobContext."""
    configure_threads()
    factory = ctx.factory
    with factory() as s:
        job = ctx.job(s)
        if job.version_id is None:
            raise ValueError(f"job {job.id} names no version")
        version_id, target = job.version_id, int(job.params["epochs"])
        stopping = EarlyStopping.from_params(job.params.get("early_stopping"))
        pruning = MedianPruning.from_params(job.params.get("pruning"))
        version = s.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"version {version_id} not found")
        project_id = version.project_id
    try:
        with factory() as s:
            version = s.get(ModelVersion, version_id)
            assert version is not None
            version.status = "training"
            # A worker that died mid-epoch left that epoch's live batch metrics; the redo writes them again.
            delete_unfinished_batch_metrics(s, version_id, version.epochs_done)
            # Tied to the lease: a worker that wakes up after a takeover must neither mark the version
            # training again nor delete the live batch metrics of the epoch the new holder is running.
            ctx.hold(s)
            s.commit()
        run = open_run(factory, version_id, store)
        _set_version(factory, version_id, graph=run.model.describe(), device=str(run.device))
        if run.epochs_done:
            with factory() as s:
                start_post_epoch_jobs(s, project_id=project_id, version_id=version_id, epoch=run.epochs_done)
        summary: dict[str, Any] = {}
        shards = get_settings().eval_shards
        stopped_early = pruned = False
        for epoch in range(run.epochs_done + 1, target + 1):
            # Checked before each epoch (not after), so a run resumed after a crash stops just the same.
            if stopping is not None and _stop_now(factory, version_id, stopping):
                stopped_early = True
                break
            if pruning is not None and _prune_now(factory, version_id, pruning):
                pruned = True
                break
            report = ProgressReporter(ctx, epoch, target)
            # The epoch's writes are tied to the lease: after a takeover they are the new holder's.
            outcome = run_epoch(run, epoch, on_batch=report.batch, on_stage=report.stage, guard=ctx.hold,
                                evaluate_all=_sharded_evaluation(ctx, run, epoch, report))
            if shards > 1:
                discard_shards(run.store, version_id, epoch)
            summary = {"epoch": epoch, "train_loss": outcome.train.loss, "metrics": outcome.metrics,
                       "samples_per_second": outcome.train.samples / max(outcome.train.seconds, 1e-9),
                       "eval_seconds": outcome.eval_seconds, "eval_shards": shards}
            with factory() as s:
                start_post_epoch_jobs(s, project_id=project_id, version_id=version_id, epoch=epoch)
            ctx.progress(epoch / target, f"epoch {epoch}/{target} done", epoch=epoch, epochs=target,
                         **_last_detail(outcome.metrics))
        with factory() as s:
            _set_status(s, version_id, "trained")
            ctx.hold(s)  # a worker taken over must not mark "trained" a version someone trains again
            s.commit()
    except JobGone:
        _if_cancelled(factory, ctx.job_id, version_id)
        raise
    except Exception:
        # Only while this worker holds the job: one that was taken over (it stalled past its lease) must
        # not mark failed the version the new holder is training.
        with factory() as s, contextlib.suppress(JobGone):
            _set_status(s, version_id, "failed")
            ctx.hold(s)
            s.commit()
        raise
    done = run.epochs_done
    result = {"epochs": target, **summary, "epochs_done": done, "stopped_early": stopped_early, "pruned": pruned}
    if pruned:
        message = f"pruned after {done} of {target} epochs (behind the sweep's median)"
    elif stopped_early:
        message = f"stopped early after {done} of {target} epochs"
    else:
        message = f"trained {target} epochs"
    ctx.succeed(result, message=message)
    return result


def _sharded_evaluation(ctx: JobContext, run: TrainingRun, epoch: int,
                        report: ProgressReporter) -> Callable[[SavedCheckpoint], EvalResult] | None:
    """With LENSBOARD_EVAL_SHARDS > 1, the epoch's evaluation as shard jobs; None: this process evaluates."""
    shards = get_settings().eval_shards
    if shards <= 1:
        return None

    def evaluate_all(saved: SavedCheckpoint) -> EvalResult:
        return evaluate_sharded(run, epoch, saved.key, shards, ctx, on_progress=report.shards)

    return evaluate_all


def _stop_now(factory: sessionmaker[Session], version_id: int, stopping: EarlyStopping) -> bool:
    with factory() as s:
        return stopping.should_stop(stopping.history(s, version_id))


def _prune_now(factory: sessionmaker[Session], version_id: int, pruning: MedianPruning) -> bool:
    with factory() as s:
        return pruning.check(s, version_id)


def _if_cancelled(factory: sessionmaker[Session], job_id: int, version_id: int) -> None:
    """A revoked job (its sweep was cancelled): drop the unfinished epoch's live batch metrics, keep the
    finished epochs, and leave the version cancelled (this worker may have marked it training since)."""
    with factory() as s:
        job, version = s.get(Job, job_id), s.get(ModelVersion, version_id)
        if job is None or job.state != JobState.REVOKED or version is None:
            return  # taken over by another worker: it carries on with this epoch
        delete_unfinished_batch_metrics(s, version_id, version.epochs_done)
        version.status = "cancelled"
        s.commit()


def _set_status(session: Session, version_id: int, status: str) -> None:
    version = session.get(ModelVersion, version_id)
    if version is not None:
        version.status = status
        session.flush()


def _set_version(factory: sessionmaker[Session], version_id: int, **values: Any) -> None:
    with factory() as s:
        version = s.get(ModelVersion, version_id)
        if version is not None:
            for k, v in values.items():
                setattr(version, k, v)
            s.commit()


def _last_detail(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    val = metrics.get("val") or metrics.get("test") or {}
    return {"val_loss": val.get("loss", 0.0), "val_accuracy": val.get("accuracy", 0.0)}


class ProgressReporter:
    """Job progress during an epoch, at most every `every_seconds` (each report is a database write)."""

    def __init__(self, ctx: JobContext, epoch: int, epochs: int, every_seconds: float = 1.0) -> None:
        self.ctx, self.epoch, self.epochs, self.every = ctx, epoch, epochs, every_seconds
        self.last = 0.0
        self.loss_sum = self.correct = 0.0
        self.seen = 0

    def batch(self, stats: BatchStats) -> None:
        self.loss_sum += stats.loss * stats.size
        self.correct += stats.accuracy * stats.size
        self.seen += stats.size
        now = time.monotonic()
        if now - self.last < self.every and stats.batch not in (1, stats.batches):
            return
        self.last = now
        fraction = (self.epoch - 1 + TRAIN_SHARE * stats.batch / stats.batches) / self.epochs
        self.ctx.progress(fraction, f"epoch {self.epoch}/{self.epochs}, batch {stats.batch}/{stats.batches}",
                          epoch=self.epoch, epochs=self.epochs, batch=stats.batch, batches=stats.batches,
                          loss=self.loss_sum / self.seen, accuracy=self.correct / self.seen)

    def shards(self, done: int, total: int) -> None:
        """A sharded evaluation's progress: the epoch's remaining share, by shards done."""
        fraction = (self.epoch - 1 + TRAIN_SHARE + (1 - TRAIN_SHARE) * done / max(total, 1)) / self.epochs
        self.ctx.progress(fraction, f"epoch {self.epoch}/{self.epochs}: evaluating, {done} of {total} parts done",
                          epoch=self.epoch, epochs=self.epochs, stage="evaluating", shards_done=done, shards=total)

    def stage(self, name: str) -> None:
        self.ctx.progress((self.epoch - 1 + TRAIN_SHARE) / self.epochs,
                          f"epoch {self.epoch}/{self.epochs}: {name}", epoch=self.epoch, epochs=self.epochs,
                          stage=name)
