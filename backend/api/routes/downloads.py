"""A version's files to take away: its checkpoint, its metrics (CSV) and its per-sample results (Parquet)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.deps import SessionDep
from backend.api.errors import Conflict, NotFound
from backend.api.guard import VersionDep
from backend.api.limits import TOO_MANY_DOWNLOADS, heavy_download
from backend.api.lookups import resolve_epoch
from backend.api.services.tensorboard_export import tensorboard_archive
from backend.api.services.version_downloads import MetricsKind, metrics_csv, results_parquet
from backend.core.artifacts import get_store
from backend.core.db.models import Checkpoint, Dataset, SampleResult

router = APIRouter(tags=["downloads"])


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/versions/{version_id}/checkpoint", operation_id="downloadCheckpoint", response_class=FileResponse,
            dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"application/octet-stream": {}}}})
def download_checkpoint(version: VersionDep, session: SessionDep,
                        epoch: int | None = Query(default=None, ge=1, description="Default: the latest")
                        ) -> FileResponse:
    """The model checkpoint (torch.save file: weights, optimizer and RNG states) of an epoch, as stored.
    409 while the version has no finished epoch."""
    version_id = version.id
    q = select(Checkpoint).where(Checkpoint.version_id == version_id)
    if epoch is None:
        row = session.scalars(q.order_by(Checkpoint.epoch.desc())).first()
    else:
        row = session.scalars(q.where(Checkpoint.epoch == epoch)).first()
    if row is None:
        if version.epochs_done == 0:
            raise Conflict(f"version {version_id} has no finished epoch yet", state=version.status)
        raise NotFound(f"checkpoint of version {version_id} for epoch",
                       epoch if epoch is not None else version.epochs_done)
    try:
        # With the S3 store this is the API host's cached copy, fetched on first download.
        path = get_store().path(row.key)
    except KeyError:
        raise NotFound(f"checkpoint file of version {version_id} for epoch",
                       f"{row.epoch} (missing from the store)") from None
    return FileResponse(path, media_type="application/octet-stream",
                        filename=f"version-{version_id}-epoch-{row.epoch}.pt")


@router.get("/versions/{version_id}/metrics.csv", operation_id="downloadMetrics", response_class=StreamingResponse,
            dependencies=[heavy_download], responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"text/csv": {}}}})
def download_metrics(version: VersionDep, request: Request, session: SessionDep,
                     kind: MetricsKind = "epoch") -> StreamingResponse:
    """Per-epoch metrics (`epoch,split,loss,accuracy,count,seconds`) or per-batch training metrics
    (`step,epoch,batch,loss,accuracy,size`) as CSV with a header row."""
    version_id = version.id
    factory: sessionmaker[Session] = request.app.state.session_factory

    def body() -> Iterator[bytes]:
        with factory() as s:
            yield from metrics_csv(s, version_id, kind)

    return StreamingResponse(body(), media_type="text/csv",
                             headers=_attachment(f"version-{version_id}-{kind}-metrics.csv"))


@router.get("/versions/{version_id}/tensorboard.tar.gz", operation_id="downloadTensorboard",
            response_class=Response, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"application/gzip": {}}}})
def download_tensorboard(version: VersionDep, session: SessionDep) -> Response:
    """The version's metrics as a TensorBoard run (batch and epoch scalars, hyperparameters in the HParams
    dashboard): unpack it and run `tensorboard --logdir .`."""
    return Response(tensorboard_archive(session, version), media_type="application/gzip",
                    headers=_attachment(f"version-{version.id}-tensorboard.tar.gz"))


@router.get("/versions/{version_id}/results.parquet", operation_id="downloadResults",
            response_class=StreamingResponse, dependencies=[heavy_download],
            responses={**TOO_MANY_DOWNLOADS, 200: {"content": {"application/vnd.apache.parquet": {}}}})
def download_results(
    version: VersionDep, request: Request, session: SessionDep,
    epoch: int | Literal["all"] | None = Query(
        default=None, description="An epoch, `all` for every epoch; default: the latest evaluated one"),
) -> StreamingResponse:
    """Every sample's result at the epoch as Parquet, one row per (sample, epoch): `sample_id, key, split,
    label, epoch, loss, p_positive, p_label, prediction, correct, score, token_count`. The file's metadata
    holds the class names that `label` and `prediction` index (`lensboard.classes`, JSON)."""
    version_id = version.id
    if epoch == "all":
        if session.scalar(select(SampleResult.epoch).where(SampleResult.version_id == version_id).limit(1)) is None:
            raise Conflict(f"version {version_id} has no evaluated epoch yet", state=version.status)
        chosen: int | None = None
    else:
        if isinstance(epoch, int) and epoch < 1:
            raise NotFound(f"epoch of version {version_id}:", epoch)
        chosen = resolve_epoch(session, version, epoch)
    dataset = session.get(Dataset, version.dataset_id)
    classes = list(dataset.classes) if dataset is not None else []
    factory: sessionmaker[Session] = request.app.state.session_factory

    def body() -> Iterator[bytes]:
        # Its own session: the request's one may close before the stream ends.
        with factory() as s:
            yield from results_parquet(s, version_id, chosen, classes)

    name = f"version-{version_id}-{'all-epochs' if chosen is None else f'epoch-{chosen}'}-results.parquet"
    return StreamingResponse(body(), media_type="application/vnd.apache.parquet", headers=_attachment(name))
