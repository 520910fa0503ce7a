"""What a deleted project leaves on disk, and its removal.

A project's rows cascade away with it in the database, but its datasets' token arrays, its versions'
checkpoints, maps and rankings, and this host's samples-table rows files are files: at a million samples
several gigabytes that nothing would read again. They are named while the project's rows still exist and
removed once the deletion has committed (a deletion that fails leaves every file in place).

Left behind: rows files that other API hosts of a distributed deployment wrote for the same datasets (each
host's cache folder is its own), and files that a job still running for the project writes after this.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.services.dataset_rows import dataset_rows, rows_path
from backend.core.artifacts.keys import dataset_prefix, source_prefix, version_prefix
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, ModelVersion

log = logging.getLogger(__name__)


@dataclass
class ProjectFiles:
    prefixes: list[str] = field(default_factory=list)
    rows_files: list[Path] = field(default_factory=list)


def project_files(session: Session, project_id: int) -> ProjectFiles:
    """The artifact prefixes and rows files of the project's datasets and versions (before it is deleted)."""
    files = ProjectFiles()
    for dataset in session.scalars(select(Dataset).where(Dataset.project_id == project_id)):
        files.prefixes += [dataset_prefix(dataset.id), source_prefix(dataset.id)]
        files.rows_files.append(rows_path(session, dataset))
    versions = session.scalars(select(ModelVersion.id).where(ModelVersion.project_id == project_id))
    files.prefixes += [version_prefix(v) for v in versions]
    return files


def remove_files(store: ArtifactStore, files: ProjectFiles) -> None:
    """Each prefix and file, one failure not stopping the rest (a deletion is not undone by it)."""
    for prefix in files.prefixes:
        try:
            store.delete_prefix(prefix)
        except Exception:
            log.exception("could not remove the artifacts under %s", prefix)
    for path in files.rows_files:
        try:
            dataset_rows.forget(path)
        except Exception:
            log.exception("could not remove %s", path)
