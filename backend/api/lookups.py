"""Lookups that several routes share, on rows the access guard has already resolved (backend/api/guard.py),
so that no route module imports another."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.errors import Conflict, NotFound
from backend.api.schemas.versions import SelectedMetrics, VersionOut
from backend.api.services.sample_order import epoch_stamp
from backend.core.db.models import Dataset, ModelVersion, Project
from backend.core.epoch_selection import selected_epochs


def resolve_epoch(session: Session, version: ModelVersion, epoch: int | None) -> int:
    """The requested epoch, or the latest evaluated one. 404 for an epoch that was never evaluated."""
    if epoch is not None and 1 <= epoch <= version.epochs_done:
        return epoch  # nothing to look up
    return resolve_epoch_stamp(session, version, epoch)[0]


def resolve_epoch_stamp(session: Session, version: ModelVersion, epoch: int | None) -> tuple[int, datetime | None]:
    """resolve_epoch, and when the epoch's results were written (see sample_order), in one round trip."""
    if epoch is not None and (epoch < 1 or epoch > version.epochs_done):
        raise NotFound(f"epoch of version {version.id}:", epoch)
    ep, stamp = epoch_stamp(session, version.id, epoch)
    if ep is None:
        raise Conflict(f"version {version.id} has no evaluated epoch yet", state=version.status)
    return ep, stamp


def version_out(session: Session, version: ModelVersion) -> VersionOut:
    """The version as the API shows it, with every split at the epoch validation picks (epoch_selection)."""
    out = VersionOut.model_validate(version)
    chosen = selected_epochs(session, [version.id]).get(version.id)
    if chosen is not None:
        out.selected = SelectedMetrics(epoch=chosen.epoch, selected_by=chosen.selected_by,
                                       accuracy=chosen.accuracy, loss=chosen.loss)
    return out


def training_dataset(session: Session, project: Project, dataset_id: int | None) -> Dataset:
    """The named dataset of the project (the guard has checked it is one), or its latest ready one; 409 when
    there is none to train on."""
    if dataset_id is not None:
        dataset = session.get(Dataset, dataset_id)
        if dataset is None or dataset.project_id != project.id:
            raise NotFound("dataset", dataset_id)
    else:
        dataset = session.scalars(
            select(Dataset).where(Dataset.project_id == project.id, Dataset.status == "ready")
            .order_by(Dataset.id.desc())
        ).first()
        if dataset is None:
            raise Conflict("the project has no imported dataset yet; import one first")
    if dataset.status != "ready":
        raise Conflict(f"dataset {dataset.id} is {dataset.status}, not ready")
    return dataset
