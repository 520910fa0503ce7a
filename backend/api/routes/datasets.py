from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import SessionDep, SettingsDep, get_or_404
from backend.api.errors import PayloadTooLarge, Unprocessable
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.routes.projects import get_project_or_404
from backend.api.schemas.datasets import DatasetImportRequest, DatasetOut
from backend.api.schemas.jobs import JobOut
from backend.api.services.dataset_sources import UploadTooLarge, read_any, safe_filename, save_upload, upload_folder
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import source_prefix
from backend.core.data.imdb import ImdbFormatError, check_source
from backend.core.data.records import DatasetFormatError, SourceData
from backend.core.data.source_store import save_source
from backend.core.db.models import Dataset
from backend.core.jobs.submit import TASK_FOR_KIND, create_job, enqueue
from backend.core.settings import Settings
from backend.core.specs.imports import CustomImportOptions, ImdbImportRequest, SourceFormat, TokenizerConfig
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["datasets"])
# The upload form's tokenizer fields default to the same values as every other import.
TOKENIZER_DEFAULTS = TokenizerConfig()


def allowed_path(raw: str, settings: Settings) -> Path:
    """Dataset paths are read only from configured roots, so the API can't be used to read any file."""
    if "\0" in raw:  # no file has one, and the OS calls below would raise instead of answering
        raise Unprocessable(f"path {raw!r} contains a NUL character")
    path = Path(raw).expanduser().resolve()
    if not any(path == root or root in path.parents for root in settings.allowed_import_roots):
        roots = ", ".join(str(r) for r in settings.allowed_import_roots)
        raise Unprocessable(f"path {raw!r} lies outside the allowed import roots ({roots})")
    if not path.exists():
        raise Unprocessable(f"path {raw!r} does not exist")
    return path


def resolve_import_path(raw: str, settings: Settings) -> Path:
    """An allowed IMDB path. Obvious mistakes (not a .tar.gz, a folder without the layout) are answered now
    with 422; the rest (bad UTF-8, a truncated archive) fails the import job with the same kind of message.
    """
    path = allowed_path(raw, settings)
    try:
        check_source(path)
    except ImdbFormatError as e:
        raise Unprocessable(str(e)) from e
    return path


@router.post("/projects/{project_id}/datasets/imdb", status_code=202, operation_id="importImdb",
             dependencies=[rate_limit("compute")], responses=RATE_LIMITED)
def import_imdb(project_id: int, body: ImdbImportRequest, session: SessionDep,
                settings: SettingsDep) -> JobOut:
    """Import IMDB (archive or extracted folder) as a background job. Poll or stream the job."""
    get_project_or_404(session, project_id)
    path = resolve_import_path(body.path, settings)
    dataset = Dataset(project_id=project_id, name=body.name, source=str(path), kind="imdb",
                      status="importing", classes=["neg", "pos"], config=body.model_dump(), stats={})
    session.add(dataset)
    session.flush()
    job = create_job(session, JobKind.IMPORT, project_id=project_id, dataset_id=dataset.id,
                     params={**body.model_dump(), "path": str(path)})
    enqueue(session, job, TASK_FOR_KIND[JobKind.IMPORT], on_unsent=lambda: setattr(dataset, "status", "failed"))
    return JobOut.model_validate(job)


UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    413: {"description": "The upload is over LENSBOARD_MAX_UPLOAD_BYTES"},
    422: {"description": "The file is not a dataset: the message names the file and row"},
}


@router.post("/projects/{project_id}/datasets/upload", status_code=202, operation_id="uploadDataset",
             responses=UPLOAD_RESPONSES)
def upload_dataset(
    project_id: int,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description=(
        "train.csv / valid.csv / test.csv (columns text, label, optional split and id; the rest is "
        "metadata), a .jsonl, or a .zip / .tar.gz of such files or of Stanford's layout"))],
    name: Annotated[str, Form(min_length=1, max_length=200)] = "dataset",
    format: Annotated[SourceFormat | None, Form(description="Detected from the file name when left out")] = None,
    val_size: Annotated[float, Form(gt=0)] = 0.2,
    seed: Annotated[int, Form(ge=0)] = 0,
    vocab_size: Annotated[int, Form(ge=100, le=500_000)] = TOKENIZER_DEFAULTS.vocab_size,
    max_length: Annotated[int, Form(ge=8, le=8192)] = TOKENIZER_DEFAULTS.max_length,
    lowercase: Annotated[bool, Form()] = True,
) -> JobOut:
    """Upload a custom dataset; it is checked now (422 with row numbers), then imported as a job."""
    get_project_or_404(session, project_id)
    options = _options({"name": name, "val_size": val_size, "seed": seed,
                        "tokenizer": {"vocab_size": vocab_size, "max_length": max_length, "lowercase": lowercase}})
    filename = safe_filename(file.filename)
    with upload_folder(settings) as work:
        path = work / filename
        try:
            save_upload(file.file, path, settings.max_upload_bytes)
        except UploadTooLarge as e:
            raise PayloadTooLarge(str(e)) from e
        source = _read(path, format, work, settings)
    return _start_custom_import(session, project_id, source, filename, options)


@router.post("/projects/{project_id}/datasets/import", status_code=202, operation_id="importDataset")
def import_dataset(project_id: int, body: DatasetImportRequest, session: SessionDep,
                   settings: SettingsDep) -> JobOut:
    """Import a custom dataset from a server-side path (under the allowed import roots) as a job."""
    get_project_or_404(session, project_id)
    path = allowed_path(body.path, settings)
    with upload_folder(settings) as work:
        source = _read(path, body.format, work, settings)
    options = CustomImportOptions.model_validate(body.model_dump(exclude={"path", "format"}))
    return _start_custom_import(session, project_id, source, str(path), options)


def _options(values: dict[str, object]) -> CustomImportOptions:
    try:
        return CustomImportOptions.model_validate(values)
    except ValidationError as e:
        first = e.errors()[0]
        raise Unprocessable(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from e


def _read(path: Path, fmt: SourceFormat | None, work: Path, settings: Settings) -> SourceData:
    try:
        return read_any(path, fmt, work, settings)
    except DatasetFormatError as e:
        raise Unprocessable(str(e)) from e


def _start_custom_import(session: Session, project_id: int, source: SourceData, origin: str,
                         options: CustomImportOptions) -> JobOut:
    """The dataset row, its validated source in the artifact store and the job, all or none of them."""
    dataset = Dataset(project_id=project_id, name=options.name, source=origin, kind="custom",
                      status="importing", classes=source.classes, config=options.model_dump(), stats={})
    session.add(dataset)
    session.flush()
    store = get_store()
    try:
        save_source(store, dataset.id, source)
        job = create_job(session, JobKind.IMPORT, project_id=project_id, dataset_id=dataset.id,
                         params=options.model_dump())
        session.commit()
    except BaseException:
        session.rollback()
        store.delete_prefix(source_prefix(dataset.id))
        raise
    # Committed: from here the job (and its staged source) stays, to be run or recovered.
    enqueue(session, job, TASK_FOR_KIND[JobKind.IMPORT])
    return JobOut.model_validate(job)


@router.get("/projects/{project_id}/datasets", operation_id="listDatasets")
def list_datasets(project_id: int, session: SessionDep) -> list[DatasetOut]:
    get_project_or_404(session, project_id)
    rows = session.scalars(select(Dataset).where(Dataset.project_id == project_id).order_by(Dataset.id)).all()
    return [DatasetOut.model_validate(d) for d in rows]


@router.get("/datasets/{dataset_id}", operation_id="getDataset")
def get_dataset(dataset_id: int, session: SessionDep) -> DatasetOut:
    return DatasetOut.model_validate(get_or_404(session, Dataset, dataset_id, "dataset"))
