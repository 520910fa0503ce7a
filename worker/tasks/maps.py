"""Population map task: after an epoch is evaluated, map every sample of the dataset."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.core.artifacts import get_store
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, ModelVersion
from backend.core.jobs.app import celery_app
from backend.core.population import Population
from backend.core.settings import get_settings
from backend.core.text.token_store import load_tokens
from backend.core.vocabulary import SPLITS, JobState
from worker.job_runner import JobContext, JobGone, run_job
from worker.pipeline import map_store
from worker.pipeline.checkpoint import load_model
from worker.pipeline.data import apply_data_fixes
from worker.pipeline.device import pick_device
from worker.pipeline.pooled_store import delete_pooled, load_pooled
from worker.pipeline.population_map import compute_map


@celery_app.task(name="lensboard.build_map")  # type: ignore[untyped-decorator]
def build_map(job_id: int) -> None:
    with run_job(job_id) as ctx:
        if ctx is not None:
            run_map_job(ctx, get_store())


def version_train_labels(version: ModelVersion, pop: Population, num_classes: int) -> npt.NDArray[np.int64]:
    """Each sample's label as the version trains on it: its data fixes' relabels applied to train."""
    splits = np.asarray(SPLITS)[pop.splits]
    _, labels = apply_data_fixes(version.data_fixes or {}, pop.sample_ids, pop.labels, splits, num_classes)
    return labels


def run_map_job(ctx: JobContext, store: ArtifactStore) -> dict[str, Any]:
    with ctx.factory() as s:
        job = ctx.job(s)
        epoch = int(job.params["epoch"])
        version = s.get(ModelVersion, job.version_id) if job.version_id is not None else None
        if version is None:
            raise ValueError(f"map job {job.id} has no model version")
        params = map_store.resolve_params(s, version.id, job.params.get("map"))
        # Tied to the lease: a worker waking up after a takeover must not reset a map the new holder
        # may have finished already to "running".
        ctx.hold(s)
        pmap = map_store.start_map(s, version, epoch, job.id, params)
        map_id = pmap.id
    try:
        t0 = time.perf_counter()
        with ctx.factory() as s:
            version = s.get(ModelVersion, version.id)
            assert version is not None
            ctx.progress(0.02, "loading", epoch=epoch)
            pop = map_store.load_samples(s, version, epoch)
            dataset = s.get(Dataset, version.dataset_id)
            assert dataset is not None
            arrays = load_tokens(store, dataset.id)
            device = pick_device()
            # The epoch's evaluation kept the pooled activations; only older epochs run the model again.
            pooled = load_pooled(store, version.id, epoch, len(pop))
            model = load_model(s, version.id, epoch, device, store) if pooled is None else None
            previous = map_store.previous_coords(s, store, version.id, epoch, len(pop))
            load_seconds = time.perf_counter() - t0
            result = compute_map(
                model,
                arrays,
                pop,
                params,
                previous=previous,
                texts=map_store.text_lookup(s),
                device=device,
                progress=lambda f, m: ctx.progress(f, m, epoch=epoch),
                pooled=pooled,
                train_labels=version_train_labels(version, pop, len(dataset.classes) or 2),
                fit_sample=get_settings().map_fit_sample,
            )
        t1 = time.perf_counter()
        map_store.write_artifacts(store, version.id, epoch, result)
        with ctx.factory() as s:
            map_store.finish_map(
                s,
                store,
                map_id,
                pop,
                result,
                {
                    "load": round(load_seconds, 3),
                    "write": round(time.perf_counter() - t1, 3),
                    "total": round(time.perf_counter() - t0, 3),
                },
            )
        # Only after the map committed: a map that fails keeps them for its retry.
        delete_pooled(store, version.id, epoch)
    except JobGone:
        # Only a cancelled job leaves its map failed; after a takeover the map row is the new holder's
        # (this worker stalled past its lease), and marking it failed would hide the map it built.
        with ctx.factory() as s:
            if ctx.job(s).state == JobState.REVOKED:
                map_store.fail_map(s, map_id, "the map job was cancelled")
        raise
    except Exception as e:
        with ctx.factory() as s, contextlib.suppress(JobGone):
            ctx.hold(s)
            map_store.fail_map(s, map_id, f"{type(e).__name__}: {e}")
        raise
    summary = {
        "map_id": map_id,
        "epoch": epoch,
        "points": len(result.coords),
        "trustworthiness": result.trustworthiness,
        "insights": len(result.insights),
        "timings": result.timings,
    }
    ctx.succeed(summary, message=f"map of epoch {epoch} ready")
    return summary
