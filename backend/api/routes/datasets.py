from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from sqlalchemy import select

from backend.api.deps import SessionDep, SettingsDep, get_or_404
from backend.api.errors import Unprocessable
from backend.api.limits import RATE_LIMITED, rate_limit
from backend.api.routes.projects import get_project_or_404
from backend.data.imdb import ImdbFormatError, check_source
from backend.db.models import Dataset
from backend.schemas.datasets import DatasetOut, ImdbImportRequest
from backend.schemas.jobs import JobOut
from backend.services.jobs import TASK_FOR_KIND, create_job, enqueue
from backend.settings import Settings

router = APIRouter(tags=["datasets"])


def resolve_import_path(raw: str, settings: Settings) -> Path:
    """Dataset paths are read only from configured roots, so the API can't be used to read any file.

    Obvious mistakes (not a .tar.gz, a folder without the layout) are answered now with 422; the
    rest (bad UTF-8, a truncated archive) fails the import job with the same kind of message.
    """
    path = Path(raw).expanduser().resolve()
    if not any(path == root or root in path.parents for root in settings.allowed_import_roots):
        roots = ", ".join(str(r) for r in settings.allowed_import_roots)
        raise Unprocessable(f"path {raw!r} lies outside the allowed import roots ({roots})")
    if not path.exists():
        raise Unprocessable(f"path {raw!r} does not exist")
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
    job = create_job(session, "import", project_id=project_id, dataset_id=dataset.id,
                     params={**body.model_dump(), "path": str(path)})
    enqueue(session, job, TASK_FOR_KIND["import"])
    return JobOut.model_validate(job)


@router.get("/projects/{project_id}/datasets", operation_id="listDatasets")
def list_datasets(project_id: int, session: SessionDep) -> list[DatasetOut]:
    get_project_or_404(session, project_id)
    rows = session.scalars(select(Dataset).where(Dataset.project_id == project_id).order_by(Dataset.id)).all()
    return [DatasetOut.model_validate(d) for d in rows]


@router.get("/datasets/{dataset_id}", operation_id="getDataset")
def get_dataset(dataset_id: int, session: SessionDep) -> DatasetOut:
    return DatasetOut.model_validate(get_or_404(session, Dataset, dataset_id, "dataset"))
