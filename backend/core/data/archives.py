"""Unpacking an uploaded .zip or .tar.gz safely, into a folder that backend.core.data.custom then reads.

Refused, with nothing left behind: a member whose path would land outside the target folder (absolute,
`..`, a drive letter), links and device files, a member twice, more than `max_total_bytes` uncompressed,
and an absurd compression ratio (a zip bomb). Sizes are counted as bytes are written, not taken from
headers that can lie. Messages name the archive by its file name and members by their names in it,
never by where they would land on the server.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from backend.core.data.records import DatasetFormatError, error_reason

CHUNK = 1 << 20
# Below this many bytes a high ratio is harmless (a tiny file of repeated characters).
RATIO_FLOOR_BYTES = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_bytes: int
    max_ratio: float


def archive_kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    return None


def extract_archive(path: Path, dest: Path, limits: ArchiveLimits, kind: str | None = None) -> Path:
    """Unpack `path` (a "zip" or "tar.gz"; by its name when `kind` is None) into `dest` (created; must not
    exist) and return it. On any refusal `dest` is removed."""
    kind = kind or archive_kind(path.name)
    if kind is None:
        raise DatasetFormatError(f"{path.name}: expected a .zip or .tar.gz archive")
    dest.mkdir(parents=True)
    try:
        if kind == "zip":
            _extract_zip(path, dest, limits)
        else:
            _extract_tar(path, dest, limits)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def safe_member_path(dest: Path, name: str, archive: str) -> Path | None:
    """Where member `name` goes under `dest`; None for OS litter; an error for any path that escapes."""
    clean = name.replace("\\", "/")
    parts = PurePosixPath(clean).parts
    if clean.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise DatasetFormatError(f"{archive}: member {name!r} points outside the archive's folder; refused")
    parts = tuple(p for p in parts if p not in ("", "."))
    if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
        return None
    target = dest.joinpath(*parts)
    if dest.resolve() not in target.resolve().parents:
        raise DatasetFormatError(f"{archive}: member {name!r} points outside the archive's folder; refused")
    return target


class UnsafeMemberName(ValueError):
    pass


def plain_member_name(name: str) -> str:
    """`name` when it is a plain relative path (what an archive we write may hold), else UnsafeMemberName:
    whoever extracts our archive with a naive tool (Python's `extractall()` before 3.14) must not get a
    file outside their folder."""
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or "\0" in name or ":" in parts[0]
            or any(part in ("", ".", "..") for part in parts)):
        raise UnsafeMemberName(f"refusing to write archive member {name!r}: not a plain relative path")
    return name


class _Budget:
    def __init__(self, archive: str, compressed: int, limits: ArchiveLimits) -> None:
        self.archive = archive
        self.compressed = max(compressed, 1)
        self.limits = limits
        self.written = 0

    def check(self, total: int) -> None:
        if total > self.limits.max_total_bytes:
            raise DatasetFormatError(f"{self.archive} unpacks to more than {self.limits.max_total_bytes:,} bytes "
                                     "(LENSBOARD_MAX_UNCOMPRESSED_BYTES); refused")
        if total > RATIO_FLOOR_BYTES and total / self.compressed > self.limits.max_ratio:
            raise DatasetFormatError(f"{self.archive} expands more than {self.limits.max_ratio:g} times "
                                     "(a zip bomb?); refused")

    def copy(self, src: IO[bytes], target: Path, member: str) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "xb")  # noqa: SIM115 (closed below; opening is what can clash)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
            raise DatasetFormatError(f"{self.archive}: member {member!r} appears twice, or as both a file and a "
                                     "folder; each name may occur once") from e
        except OSError as e:
            raise DatasetFormatError(f"{self.archive}: member {member!r} cannot be unpacked ({error_reason(e)})") from e
        with out:
            while chunk := src.read(CHUNK):
                self.written += len(chunk)
                self.check(self.written)
                out.write(chunk)


def _extract_zip(path: Path, dest: Path, limits: ArchiveLimits) -> None:
    budget = _Budget(path.name, path.stat().st_size, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            # Headers first: refuse before writing anything when the declared sizes already say no.
            budget.check(sum(i.file_size for i in infos))
            for info in infos:
                target = safe_member_path(dest, info.filename, path.name)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise DatasetFormatError(f"{path.name}: member {info.filename!r} is a link; refused")
                if target is None or info.is_dir():
                    continue
                with zf.open(info) as src:
                    budget.copy(src, target, info.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as e:
        raise DatasetFormatError(f"{path.name} is not a readable .zip archive: {error_reason(e)}") from e


def _extract_tar(path: Path, dest: Path, limits: ArchiveLimits) -> None:
    budget = _Budget(path.name, path.stat().st_size, limits)
    try:
        with tarfile.open(path, mode="r|gz") as tf:
            for member in tf:
                target = safe_member_path(dest, member.name, path.name)
                if member.isdir() or target is None:
                    continue
                if not member.isfile():
                    raise DatasetFormatError(f"{path.name}: member {member.name!r} is not a regular file; refused")
                budget.check(budget.written + member.size)
                src = tf.extractfile(member)
                if src is None:
                    raise DatasetFormatError(f"{path.name}: member {member.name!r} cannot be read")
                budget.copy(src, target, member.name)
    except (tarfile.TarError, zlib.error, EOFError, OSError) as e:
        raise DatasetFormatError(f"{path.name} is not a readable .tar.gz archive: {error_reason(e)}") from e
