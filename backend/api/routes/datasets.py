from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.auth import CurrentPrincipal, Forbidden, Principal
from backend.api.deps import SessionDep, SettingsDep
from backend.api.errors import PayloadTooLarge, Unprocessable
from backend.api.guard import DatasetDep, ProjectDep
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.schemas.datasets import DatasetImportRequest, DatasetOut
from backend.api.schemas.jobs import JobOut
from backend.api.services.dataset_sources import UploadTooLarge, read_any, safe_filename, save_upload, upload_folder
from backend.core.artifacts import get_store
from backend.core.artifacts.keys import source_prefix
from backend.core.artifacts.store import ArtifactStore
from backend.core.data.custom import csv_columns
from backend.core.data.imdb import CLASSES, ImdbFormatError, check_source
from backend.core.data.import_paths import ImportPathRefused, resolve_import_path
from backend.core.data.records import DatasetFormatError, SourceData
from backend.core.data.source_store import save_archive, save_source
from backend.core.db.models import Dataset
from backend.core.jobs.submit import create_job, enqueue
from backend.core.settings import Settings
from backend.core.specs.imports import (
    CustomImportOptions,
    ImdbImportOptions,
    ImdbImportRequest,
    SourceFormat,
    TokenizerConfig,
)
from backend.core.vocabulary import JobKind

router = APIRouter(tags=["datasets"])
Options = TypeVar("Options", bound=BaseModel)
# The upload forms' tokenizer fields default to the same values as every other import.
TOKENIZER_DEFAULTS = TokenizerConfig()

# Reading a path on the server is for site administrators: it is how the server's own files could reach a
# dataset (and its error messages). Everyone else uploads. Marked in the schema for tests/db/test_access.py.
ADMIN_ONLY: dict[str, Any] = {"x-admin-only": True}
SERVER_PATH_FORBIDDEN = ("only a site administrator can import from a path on the server; upload the file instead "
                         "(`lensboard import-imdb FILE` / `lensboard import-dataset PROJECT FILE` without "
                         "--server-path, or POST .../datasets/imdb/upload and .../datasets/upload)")


def server_path_importer(principal: CurrentPrincipal) -> Principal:
    if not principal.user.is_admin:
        raise Forbidden(SERVER_PATH_FORBIDDEN)
    return principal


# Declared after the project's resolver in each route, so that a non-member gets the project's 404 first.
ServerPathImporter = Annotated[Principal, Depends(server_path_importer)]


SERVER_PATH_RESPONSES: dict[int | str, dict[str, object]] = {
    403: {"description": "Not a site administrator (upload instead), or not an editor of the project"},
    422: {"description": "The path is outside the import roots, does not exist, or is not a dataset"},
}


def _allowed_path(raw: str, settings: Settings) -> Path:
    try:
        return resolve_import_path(raw, settings)
    except ImportPathRefused as e:
        raise Unprocessable(str(e)) from e


def _check_imdb(path: Path) -> None:
    """Obvious mistakes (not a .tar.gz, a folder without the layout) are answered now with 422; the rest (bad
    UTF-8, a truncated archive) fails the import job with the same kind of message."""
    try:
        check_source(path)
    except ImdbFormatError as e:
        raise Unprocessable(str(e)) from e


@router.post("/projects/{project_id}/datasets/imdb", status_code=202, operation_id="importImdb",
             dependencies=[rate_limit("compute")], openapi_extra=ADMIN_ONLY,
             responses={**RATE_LIMITED, **SERVER_PATH_RESPONSES})
def import_imdb(project: ProjectDep, _: ServerPathImporter, body: ImdbImportRequest, session: SessionDep,
                settings: SettingsDep) -> JobOut:
    """Import IMDB (archive or extracted folder) from a path on the server, as a background job (site
    administrators only; others upload). Poll or stream the job."""
    project_id = project.id
    path = _allowed_path(body.path, settings)
    _check_imdb(path)
    dataset = _importing(project_id, str(path), "imdb", list(CLASSES), body)
    return _start_path_import(session, dataset, {**body.model_dump(), "path": str(path)})


def split_form(
    val_size: Annotated[float, Form(gt=0)] = 0.2,
    seed: Annotated[int, Form(ge=0)] = 0,
    vocab_size: Annotated[int, Form(ge=100, le=500_000)] = TOKENIZER_DEFAULTS.vocab_size,
    max_length: Annotated[int, Form(ge=8, le=8192)] = TOKENIZER_DEFAULTS.max_length,
    lowercase: Annotated[bool, Form()] = True,
    drop_cross_split_copies: Annotated[bool, Form(description=(
        "Leave out train's exact copies of val or test texts"))] = False,
) -> dict[str, Any]:
    """The split and tokenizer fields of both upload forms, as SplitOptions' values."""
    return {"val_size": val_size, "seed": seed, "drop_cross_split_copies": drop_cross_split_copies,
            "tokenizer": {"vocab_size": vocab_size, "max_length": max_length, "lowercase": lowercase}}


SplitForm = Annotated[dict[str, Any], Depends(split_form)]

UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    413: {"description": "The upload is over LENSBOARD_MAX_UPLOAD_BYTES"},
    422: {"description": "The file is not a dataset: the message names the file and row"},
}


@router.post("/projects/{project_id}/datasets/imdb/upload", status_code=202, operation_id="uploadImdb",
             dependencies=[rate_limit("compute")], responses={**RATE_LIMITED, **UPLOAD_RESPONSES})
def upload_imdb(
    project: ProjectDep,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="aclImdb_v1.tar.gz or the labeled subset archive (a .tar.gz of "
                                                 "aclImdb/{train,test}/{pos,neg}/<id>_<score>.txt)")],
    split: SplitForm,
    name: Annotated[str, Form(min_length=1, max_length=200)] = "IMDB",
    subset_per_class: Annotated[int | None, Form(
        ge=1, description="Import only this many reviews per (split, class), chosen with the seed")] = None,
) -> JobOut:
    """Upload the IMDB archive and import it as a job, with the options of the path import. The archive is
    stored as it came (streamed to disk, never whole in memory) and read by the worker."""
    options = _options(ImdbImportOptions, {**split, "name": name, "subset_per_class": subset_per_class})
    filename = safe_filename(file.filename)
    with upload_folder(settings) as work:
        path = _save(file, work / filename, settings)
        _check_imdb(path)
        dataset = _importing(project.id, filename, "imdb", list(CLASSES), options)

        def stage(store: ArtifactStore, dataset_id: int) -> None:
            with open(path, "rb") as f:
                save_archive(store, dataset_id, f)

        return _start_staged_import(session, dataset, options.model_dump(), stage)


@router.post("/projects/{project_id}/datasets/upload", status_code=202, operation_id="uploadDataset",
             responses=UPLOAD_RESPONSES)
def upload_dataset(
    project: ProjectDep,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description=(
        "train.csv / valid.csv / test.csv (columns text, label, optional split and id; the rest is "
        "metadata), a .jsonl, or a .zip / .tar.gz of such files or of Stanford's layout"))],
    split: SplitForm,
    name: Annotated[str, Form(min_length=1, max_length=200)] = "dataset",
    format: Annotated[SourceFormat | None, Form(description="Detected from the file name when left out")] = None,
    group_column: Annotated[str | None, Form(max_length=200, description=(
        "A metadata column whose equal values stay together when validation is carved out of train"))] = None,
) -> JobOut:
    """Upload a custom dataset; it is checked now (422 with row numbers), then imported as a job."""
    options = _options(CustomImportOptions, {**split, "name": name, "group_column": group_column or None})
    filename = safe_filename(file.filename)
    with upload_folder(settings) as work:
        path = _save(file, work / filename, settings)
        source = _read(path, format, work, settings)
    return _start_custom_import(session, project.id, source, filename, options)


@router.post("/projects/{project_id}/datasets/import", status_code=202, operation_id="importDataset",
             openapi_extra=ADMIN_ONLY, responses=SERVER_PATH_RESPONSES)
def import_dataset(project: ProjectDep, _: ServerPathImporter, body: DatasetImportRequest, session: SessionDep,
                   settings: SettingsDep) -> JobOut:
    """Import a custom dataset from a path on the server (under the import roots) as a job (site
    administrators only; others upload)."""
    path = _allowed_path(body.path, settings)
    options = CustomImportOptions.model_validate(body.model_dump(exclude={"path", "format"}))
    if _streamed(path, body.format, settings):
        return _start_streamed_import(session, project.id, path, options)
    with upload_folder(settings) as work:
        source = _read(path, body.format, work, settings)
    return _start_custom_import(session, project.id, source, str(path), options)


def _streamed(path: Path, fmt: SourceFormat | None, settings: Settings) -> bool:
    """A single large .csv goes to the worker's streamed import (see Settings.stream_import_bytes)."""
    return (path.is_file() and fmt in (None, "csv") and path.name.lower().endswith(".csv")
            and path.stat().st_size >= settings.stream_import_bytes)


def _start_streamed_import(session: Session, project_id: int, path: Path, options: CustomImportOptions) -> JobOut:
    """The header is checked now (422); the rows by the job, which reads the file where it lies."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            checked = csv_columns(path.name, next(csv.reader(f), None))
    except (UnicodeDecodeError, csv.Error) as e:
        raise Unprocessable(f"{path.name}: the header line is not readable CSV text") from e
    if isinstance(checked, str):
        raise Unprocessable(checked)
    if options.group_column is not None and options.group_column not in checked[0]:
        raise Unprocessable(f"group_column: {options.group_column!r} is not a column of the dataset")
    # The classes are known once the job has read every row.
    dataset = _importing(project_id, str(path), "custom", [], options)
    return _start_path_import(session, dataset, {**options.model_dump(), "stream_path": str(path)})


def _options(model: type[Options], values: dict[str, object]) -> Options:
    try:
        return model.model_validate(values)
    except ValidationError as e:
        first = e.errors()[0]
        raise Unprocessable(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from e


def _save(file: UploadFile, dest: Path, settings: Settings) -> Path:
    """The upload, copied to `dest` in chunks (the request body was spooled to disk, not held in memory)."""
    try:
        save_upload(file.file, dest, settings.max_upload_bytes)
    except UploadTooLarge as e:
        raise PayloadTooLarge(str(e)) from e
    return dest


def _read(path: Path, fmt: SourceFormat | None, work: Path, settings: Settings) -> SourceData:
    try:
        return read_any(path, fmt, work, settings)
    except DatasetFormatError as e:
        raise Unprocessable(str(e)) from e


def _start_custom_import(session: Session, project_id: int, source: SourceData, origin: str,
                         options: CustomImportOptions) -> JobOut:
    if options.group_column is not None and options.group_column not in source.metadata_columns:
        raise Unprocessable(f"group_column: {options.group_column!r} is not a column of the dataset "
                            f"(its metadata columns: {', '.join(source.metadata_columns) or 'none'})")
    dataset = _importing(project_id, origin, "custom", source.classes, options)
    return _start_staged_import(session, dataset, options.model_dump(),
                                lambda store, dataset_id: save_source(store, dataset_id, source))


def _importing(project_id: int, source: str, kind: str, classes: list[str],
               options: ImdbImportOptions | CustomImportOptions) -> Dataset:
    """The row of a dataset being imported; the import job fills in its stats (and classes, if not known)."""
    return Dataset(project_id=project_id, name=options.name, source=source, kind=kind, status="importing",
                   classes=classes, config=options.model_dump(), stats={})


def _start_path_import(session: Session, dataset: Dataset, params: dict[str, Any]) -> JobOut:
    """A server-path import: the worker reads the file where it lies, so nothing is staged."""
    session.add(dataset)
    session.flush()
    job = create_job(session, JobKind.IMPORT, project_id=dataset.project_id, dataset_id=dataset.id, params=params)
    enqueue(session, job, on_unsent=lambda: setattr(dataset, "status", "failed"))
    return JobOut.model_validate(job)


def _start_staged_import(session: Session, dataset: Dataset, params: dict[str, Any],
                         stage: Callable[[ArtifactStore, int], None]) -> JobOut:
    """The dataset row, its source staged in the artifact store and the job, all or none of them."""
    session.add(dataset)
    session.flush()
    store = get_store()
    try:
        stage(store, dataset.id)
        job = create_job(session, JobKind.IMPORT, project_id=dataset.project_id, dataset_id=dataset.id, params=params)
        session.commit()
    except BaseException:
        session.rollback()
        store.delete_prefix(source_prefix(dataset.id))
        raise

    def unsent() -> None:
        dataset.status = "failed"
        store.delete_prefix(source_prefix(dataset.id))

    # Committed: from here the job (and its staged source) stays, to be run or recovered.
    enqueue(session, job, on_unsent=unsent)
    return JobOut.model_validate(job)


@router.get("/projects/{project_id}/datasets", operation_id="listDatasets")
def list_datasets(project: ProjectDep, session: SessionDep) -> list[DatasetOut]:
    rows = session.scalars(select(Dataset).where(Dataset.project_id == project.id).order_by(Dataset.id)).all()
    return [DatasetOut.model_validate(d) for d in rows]


@router.get("/datasets/{dataset_id}", operation_id="getDataset")
def get_dataset(dataset: DatasetDep) -> DatasetOut:
    return DatasetOut.model_validate(dataset)
