"""Dataset import task: runs backend.core.data.importer on a worker, reporting progress on the job.

No torch here (nor in anything it imports): an import must not pay for loading the ML stack.
"""

from __future__ import annotations

from typing import Any

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import source_prefix
from backend.core.data.importer import import_custom_dataset, import_imdb_dataset
from backend.core.data.streamed_import import import_streamed_csv
from backend.core.db.models import Dataset
from backend.core.jobs.app import celery_app
from backend.core.settings import get_settings
from backend.core.specs.imports import CustomImportOptions, ImdbImportOptions, ImdbImportRequest
from worker.job_runner import JobContext, run_job


@celery_app.task(name="lensboard.import_dataset")  # type: ignore[untyped-decorator]
def import_dataset(job_id: int) -> None:
    with run_job(job_id) as ctx:
        if ctx is not None:
            ctx.succeed(run_import(ctx), message="imported")


def run_import(ctx: JobContext) -> dict[str, Any]:
    store = get_store()
    with ctx.factory() as session:
        dataset_id = ctx.job(session).dataset_id
        dataset = session.get(Dataset, dataset_id) if dataset_id is not None else None
        if dataset is None:
            raise LookupError(f"job {ctx.job_id} has no dataset to import into")

        def progress(f: float, message: str) -> None:
            ctx.progress(f, message)

        params = ctx.params()
        # An uploaded source (every custom one, an IMDB archive without a path) was staged for this job.
        # Imported, or failed for good (the dataset is marked failed): the staged source has served.
        # A worker that dies mid-import (not an Exception) leaves it for the job's retry.
        # A streamed import reads its file where it lies: nothing was staged.
        staged = "stream_path" not in params and (dataset.kind == "custom" or "path" not in params)
        try:
            if dataset.kind == "custom" and "stream_path" in params:
                stats = import_streamed_csv(session, dataset, store, params["stream_path"],
                                            CustomImportOptions.model_validate(params), get_settings(), progress)
            elif dataset.kind == "custom":
                stats = import_custom_dataset(session, dataset, store, CustomImportOptions.model_validate(params),
                                              progress)
            else:
                options = (ImdbImportRequest if "path" in params else ImdbImportOptions).model_validate(params)
                stats = import_imdb_dataset(session, dataset, store, options, progress)
        except Exception:
            if staged:
                store.delete_prefix(source_prefix(dataset.id))
            raise
        if staged:
            store.delete_prefix(source_prefix(dataset.id))
        return {"dataset_id": dataset.id, "num_samples": dataset.num_samples, "counts": stats["counts"]}
