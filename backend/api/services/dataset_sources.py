"""Turning an upload or a server-side path into a validated custom source (API side, synchronous).

Everything that can be checked without tokenizing is checked here, so that a bad file is answered with
422 and row numbers before any dataset or job exists. Archives are unpacked under the uploads folder and
removed again; the validated records go to the artifact store for the worker (backend.core.data.source_store).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from backend.core.data.archives import ArchiveLimits, archive_kind, extract_archive
from backend.core.data.custom import Limits, read_source
from backend.core.data.records import DatasetFormatError, SourceData
from backend.core.settings import Settings
from backend.core.specs.imports import SourceFormat

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the upload is over the limit of {limit:,} bytes (LENSBOARD_MAX_UPLOAD_BYTES)")


def file_limits(settings: Settings) -> Limits:
    return Limits(max_file_bytes=settings.max_upload_bytes, max_total_bytes=settings.max_uncompressed_bytes)


def archive_limits(settings: Settings) -> ArchiveLimits:
    return ArchiveLimits(max_total_bytes=settings.max_uncompressed_bytes, max_ratio=settings.max_compression_ratio)


def safe_filename(name: str | None) -> str:
    """The client's file name without any folder part, reduced to harmless characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", base).lstrip(".")[:120] or "upload"


@contextmanager
def upload_folder(settings: Settings) -> Iterator[Path]:
    """A fresh folder under the uploads dir, removed afterwards whatever happens."""
    folder = settings.uploads_dir / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def save_upload(stream: BinaryIO, dest: Path, limit: int) -> int:
    """Copy the upload to `dest` in chunks, stopping as soon as it is over `limit` bytes."""
    written = 0
    with open(dest, "wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise UploadTooLarge(limit)
            out.write(chunk)
    return written


def read_any(path: Path, fmt: SourceFormat | None, work: Path, settings: Settings) -> SourceData:
    """Read a .csv / .jsonl file, a folder, or a .zip / .tar.gz (unpacked into `work`/unpacked)."""
    kind = fmt if fmt in ("zip", "tar.gz") else (archive_kind(path.name) if fmt is None else None)
    if kind is not None:
        if not path.is_file():
            raise DatasetFormatError(f"{path.name}: a {kind} archive must be a file")
        folder = extract_archive(path, work / "unpacked", archive_limits(settings), kind)
        return read_source(folder, None, file_limits(settings))
    return read_source(path, fmt if fmt in ("csv", "jsonl", "stanford") else None, file_limits(settings))
