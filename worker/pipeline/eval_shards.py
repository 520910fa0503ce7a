"""Sharded evaluation of a trained epoch (LENSBOARD_EVAL_SHARDS = K > 1): K jobs over row ranges, so a
deployment with more bulk-lane workers evaluates an epoch sooner.

- The training task saves the epoch's checkpoint as always, then creates K `eval_shard` jobs, one per
  contiguous row range, and enqueues them on the bulk lane (never the interactive one): any bulk
  worker, on any host, may take one. The job names the checkpoint file, since its row is not committed yet.
- A shard job loads that checkpoint and the dataset's tokens, runs the same `evaluate()` over its rows
  (pooled activations for the map included) and stores the result as ONE artifact named by its job id
  (one atomic write: a rename, or one S3 PUT), then marks its job done. A shard whose worker dies is run
  again (redelivery or orphan recovery; the job's lease keeps two copies from running at once) and
  overwrites its own file: a retry leaves nothing twice.
- The training task does not sit idle meanwhile: it claims shards nobody has started, last first (the same
  compare-and-set on the job's lease a worker's claim is) and evaluates them with the model it holds,
  so a deployment with a single bulk worker never waits for itself. With none left to claim, it waits.
- When every shard is done, the training task merges their files in row order and commits the epoch
  exactly as the unsharded path does (worker/pipeline/epoch.py): per-sample results, metrics, the
  checkpoint row and `epochs_done` in one transaction, then the map job.

Why the training task waits rather than letting the last shard finish the epoch: the next epoch's early
stopping and pruning read this epoch's validation metrics, and a version's epochs commit in order
(`mark_epoch_done`), so training cannot go on before the epoch is complete anyway; and the epoch's commit
stays tied to the training job's lease (a worker taken over can't commit it). Why the per-sample rows
are written at that commit and not per shard: readers take any SampleResult row of an epoch as that
epoch's (sample_order's "latest evaluated epoch", downloads, the compare view), so a shard's rows
committed alone would show half an epoch.
"""

from __future__ import annotations

import io
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts.keys import eval_shard_key, eval_shards_prefix
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.base import utcnow
from backend.core.db.models import Job, ModelVersion
from backend.core.jobs.submit import BrokerUnavailable, create_job, enqueue_all
from backend.core.settings import get_settings
from backend.core.specs.architectures import ARCHITECTURES
from backend.core.vocabulary import ACTIVE_STATES, JobKind, JobState
from worker.job_runner import JobContext, run_job
from worker.models.base import TextClassifier
from worker.pipeline.checkpoint import model_from_checkpoint, read_checkpoint
from worker.pipeline.data import TrainingData, load_training_data
from worker.pipeline.evaluate import EvalResult, evaluate
from worker.pipeline.run_state import TrainingRun

log = logging.getLogger(__name__)

# How often the waiting training task looks at its shards (one small query each time).
POLL_SECONDS = 0.2


def shard_ranges(rows: int, shards: int) -> list[tuple[int, int]]:
    """`shards` contiguous [start, stop) ranges of about equal size covering 0..rows (fewer if rows < shards)."""
    count = max(1, min(shards, rows))
    bounds = np.linspace(0, rows, count + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def evaluate_range(model: TextClassifier, data: TrainingData, start: int, stop: int, device: torch.device,
                   batch_size: int) -> EvalResult:
    """Rows start..stop-1 through `evaluate()`, pooled activations kept, as the unsharded epoch does."""
    return evaluate(model, data.arrays, np.arange(start, stop), data.labels[start:stop], device, batch_size,
                    pool_layers=True)


def save_shard(store: ArtifactStore, key: str, result: EvalResult) -> int:
    """One .npz (one atomic put): losses, probabilities, and each pooled layer in the model's order."""
    pooled = result.pooled or {}
    buf = io.BytesIO()
    arrays: dict[str, Any] = {"loss": result.loss, "probs": result.probs, "seconds": np.float64(result.seconds),
                              "layers": np.array(list(pooled), dtype=np.str_)}
    arrays.update({f"layer_{i}": x for i, x in enumerate(pooled.values())})
    np.savez(buf, **arrays)
    return store.put_bytes(key, buf.getvalue())


def load_shard(store: ArtifactStore, key: str) -> EvalResult:
    with np.load(io.BytesIO(store.get_bytes(key)), allow_pickle=False) as z:
        probs = z["probs"]
        pooled = {str(name): z[f"layer_{i}"] for i, name in enumerate(z["layers"].tolist())}
        return EvalResult(loss=z["loss"], probs=probs, prediction=probs.argmax(1).astype(np.int64),
                          seconds=float(z["seconds"]), pooled=pooled or None)


def merge(parts: list[EvalResult], seconds: float) -> EvalResult:
    """The shards' results (in row order) as one EvalResult over every row; `seconds`: the wall time."""
    probs = np.concatenate([p.probs for p in parts])
    pooled: dict[str, npt.NDArray[np.float16]] | None = None
    if parts and parts[0].pooled is not None:
        pooled = {name: np.concatenate([p.pooled[name] for p in parts if p.pooled is not None])
                  for name in parts[0].pooled}
    return EvalResult(loss=np.concatenate([p.loss for p in parts]), probs=probs,
                      prediction=np.concatenate([p.prediction for p in parts]), seconds=seconds, pooled=pooled)


def discard_shards(store: ArtifactStore, version_id: int, epoch: int) -> None:
    """Drop the shards' files once the epoch has committed (its pooled activations live on in pooled/)."""
    store.delete_prefix(eval_shards_prefix(version_id, epoch))


# -- one shard ------------------------------------------------------------------------------------

def run_shard(ctx: JobContext, model: TextClassifier, data: TrainingData, store: ArtifactStore,
              device: torch.device, batch_size: int, load_seconds: float = 0.0) -> None:
    """Evaluate the claimed shard job's rows with `model`, store its file, mark the job done. `load_seconds`:
    what loading the model and data took first (kept in the job's result, beside the evaluation's time)."""
    with ctx.factory() as s:
        job = ctx.job(s)
        version_id, params = job.version_id, dict(job.params)
    assert version_id is not None
    epoch, start, stop = int(params["epoch"]), int(params["start"]), int(params["stop"])
    if stop > len(data.arrays):
        raise ValueError(f"shard rows {start}..{stop} beyond the dataset's {len(data.arrays)}")
    result = evaluate_range(model, data, start, stop, device, batch_size)
    t0 = time.perf_counter()
    save_shard(store, eval_shard_key(version_id, epoch, ctx.job_id), result)
    save_seconds = time.perf_counter() - t0
    # Done only while still held and active: a shard cancelled with its training stays cancelled.
    with ctx.factory() as s:
        s.execute(update(Job).where(Job.id == ctx.job_id, Job.worker == ctx.me, Job.state.in_(ACTIVE_STATES))
                  .values(state=JobState.SUCCESS, progress=1.0, finished_at=utcnow(),
                          message=f"evaluated rows {start}..{stop - 1}",
                          result={"rows": stop - start, "seconds": result.seconds, "load_seconds": load_seconds,
                                  "save_seconds": save_seconds}))
        s.commit()


# The version whose data this worker process loaded for its last shard: the next shard of the same version
# (often of the same epoch) reuses it. A version's evaluation data never changes (its dataset is immutable
# once ready, and evaluation uses the dataset's labels, not the version's data fixes). The model is read
# afresh every time: a redone epoch writes its checkpoint under the same key.
_loaded: dict[int, TrainingData] = {}


def shard_job(ctx: JobContext, store: ArtifactStore, device: torch.device) -> None:
    """The `eval_shard` task's body on a worker: the epoch's checkpoint and the version's data, then run_shard."""
    start = time.perf_counter()
    with ctx.factory() as s:
        job = ctx.job(s)
        version = s.get(ModelVersion, job.version_id)
        if version is None:
            raise LookupError(f"version {job.version_id} not found")
        key = str(job.params["checkpoint"])
        data = _loaded.get(version.id) or load_training_data(s, version, store)
        batch_size = ARCHITECTURES[version.architecture](**version.hyperparameters).eval_batch_size
    _loaded.clear()
    _loaded[version.id] = data
    model = model_from_checkpoint(read_checkpoint(store, key), device)
    run_shard(ctx, model, data, store, device, batch_size, load_seconds=time.perf_counter() - start)


# -- the training task's side ---------------------------------------------------------------------

def evaluate_sharded(run: TrainingRun, epoch: int, checkpoint_key: str, shards: int, parent: JobContext,
                     on_progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """Evaluate every row of `run`'s dataset as `shards` shard jobs (see the module docstring); returns the
    merged result once all are done. Raises when a shard fails, JobGone when the training was cancelled."""
    start = time.perf_counter()
    factory, vid = run.factory, run.version.id
    ranges = shard_ranges(len(run.data.arrays), shards)
    ids = _create_shards(factory, run, epoch, checkpoint_key, ranges, parent)
    try:
        _work_and_wait(run, ids, parent, on_progress)
    except BaseException:
        _revoke(factory, ids, "cancelled: its training stopped")
        raise
    parts = [load_shard(run.store, eval_shard_key(vid, epoch, i)) for i in ids]
    return merge(parts, seconds=time.perf_counter() - start)


def _create_shards(factory: sessionmaker[Session], run: TrainingRun, epoch: int, checkpoint_key: str,
                   ranges: list[tuple[int, int]], parent: JobContext) -> list[int]:
    vid = run.version.id
    with factory() as s:
        # Shards of an earlier attempt at this epoch (its worker died) evaluated another checkpoint file's
        # weights: nobody will read them, so they should not keep workers busy.
        stale = s.scalars(select(Job.id).where(Job.kind == JobKind.EVAL_SHARD, Job.version_id == vid,
                                               Job.state.in_(ACTIVE_STATES))).all()
        _revoke_in(s, list(stale), "cancelled: its epoch is being evaluated again")
        jobs = [create_job(s, JobKind.EVAL_SHARD, project_id=run.version.project_id, version_id=vid,
                           dataset_id=run.version.dataset_id,
                           params={"epoch": epoch, "shard": i, "shards": len(ranges), "start": a, "stop": b,
                                   "checkpoint": checkpoint_key, "parent_job_id": parent.job_id})
                 for i, (a, b) in enumerate(ranges)]
        ids = [j.id for j in jobs]
        try:
            enqueue_all(s, jobs)
        except BrokerUnavailable as e:
            # The jobs are committed and unclaimed: the training evaluates them itself.
            log.warning("evaluation shards of version %s epoch %s not queued (%s); evaluating them here",
                        vid, epoch, e)
            s.commit()
    return ids


def _work_and_wait(run: TrainingRun, ids: list[int], parent: JobContext,
                   on_progress: Callable[[int, int], None] | None) -> None:
    """Claim and run what nobody has started; then wait for the rest. A shard whose worker died mid-way
    (a dead pid here, or a stale lease) becomes claimable again, so the training takes it over too."""
    factory, batch_size = run.factory, run.params.eval_batch_size
    reported = -1
    last_takeover_look = last_hold = created = time.monotonic()
    grace = get_settings().eval_shard_grace_seconds
    while True:
        states = _states(factory, ids)
        bad = [(i, state, error) for i, (state, error) in states.items()
               if state not in ACTIVE_STATES and state != JobState.SUCCESS]
        if bad:
            i, state, error = bad[0]
            raise RuntimeError(f"evaluation shard job {i} ended {state}: {error or 'no error recorded'}")
        done = sum(state == JobState.SUCCESS for state, _ in states.values())
        if done != reported:
            reported = done
            if on_progress is not None:
                on_progress(done, len(ids))
        if done == len(ids):
            return
        ran = False
        # Pending shards every time; running ones (to take over a dead worker's) once a heartbeat period.
        look_at_running = time.monotonic() - last_takeover_look >= get_settings().heartbeat_seconds
        if look_at_running:
            last_takeover_look = time.monotonic()
        # Last shard first: the lane delivers the first ones first, so the workers and this process meet
        # (and lose a claim to each other) only at the end.
        for i, (state, _) in reversed(states.items()):
            if state == JobState.SUCCESS or (state != JobState.PENDING and not look_at_running):
                continue
            if state == JobState.PENDING and time.monotonic() - created < grace:
                continue  # still the other workers' to start
            with run_job(i, factory) as ctx:
                if ctx is not None:
                    run_shard(ctx, run.model, run.data, run.store, run.device, batch_size)
                    ran = True
            if ran:
                break  # look at the states again: report progress, stop at a failure
        if not ran:
            if time.monotonic() - last_hold >= 1.0:
                # Raises JobGone when the training was cancelled or taken over, which stops the wait too.
                with factory() as s:
                    parent.hold(s)
                    s.commit()
                last_hold = time.monotonic()
            time.sleep(POLL_SECONDS)


def _states(factory: sessionmaker[Session], ids: list[int]) -> dict[int, tuple[str, str | None]]:
    with factory() as s:
        rows = s.execute(select(Job.id, Job.state, Job.error).where(Job.id.in_(ids))).all()
    found: dict[int, tuple[str, str | None]] = {r[0]: (r[1], r[2]) for r in rows}
    return {i: found.get(i, (JobState.FAILURE, "the shard's job row is gone")) for i in ids}


def _revoke(factory: sessionmaker[Session], ids: list[int], message: str) -> None:
    try:
        with factory() as s:
            _revoke_in(s, ids, message)
            s.commit()
    except Exception:  # the training's own error matters more; a shard left runs and is never read
        log.exception("could not cancel evaluation shards %s", ids)


def _revoke_in(session: Session, ids: list[int], message: str) -> None:
    if ids:
        session.execute(update(Job).where(Job.id.in_(ids), Job.state.in_(ACTIVE_STATES))
                        .values(state=JobState.REVOKED, message=message, finished_at=utcnow()))

