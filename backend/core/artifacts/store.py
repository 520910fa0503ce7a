"""The artifact store: checkpoints, tokenizers, token arrays, latent vectors, maps.

Keys are relative POSIX paths ("versions/3/epoch_2/model.pt"). A reader never sees a half-written
artifact: the local store writes a temp file and renames it, the S3 store relies on a PUT (or a
completed multipart upload) replacing the object at once.

Two stores, chosen by settings alone (LENSBOARD_ARTIFACT_URL, see `get_store` in backend.core.artifacts):
a folder (every worker mounts the same one: NFS, a compose volume; `LocalArtifactStore` here) or an
S3-compatible bucket (workers on different hosts; see backend/core/artifacts/s3.py). Callers use only
this interface, so every code path runs on both.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np
import numpy.typing as npt


def clean_key(key: str) -> str:
    """The key in canonical form; ValueError for one that could leave the store."""
    p = PurePosixPath(key)
    if not key or p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"artifact key escapes the store: {key!r}")
    return p.as_posix()


class ArtifactStore(ABC):
    @property
    @abstractmethod
    def url(self) -> str:
        """Where the artifacts live: two stores with the same url hold the same artifacts."""

    @abstractmethod
    def path(self, key: str) -> Path:
        """A local file with the artifact's current bytes, for readers that need one (mmap, file
        responses). Read-only: write through put_*. KeyError when there is no such artifact."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True for an artifact and for a prefix that has artifacts under it."""

    @abstractmethod
    def put_stream(self, key: str, stream: BinaryIO) -> int:
        """Store the stream's bytes under key, replacing any artifact there; returns the size."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove the artifact at prefix and every artifact under prefix/ (not prefix2/...)."""

    def put_bytes(self, key: str, data: bytes) -> int:
        return self.put_stream(key, io.BytesIO(data))

    def put_array(self, key: str, array: npt.NDArray[np.generic]) -> int:
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        return self.put_bytes(key, buf.getvalue())

    def get_array(self, key: str, mmap: bool = False) -> npt.NDArray[np.generic]:
        if mmap:
            return np.load(self.path(key), mmap_mode="r", allow_pickle=False)  # type: ignore[no-any-return]
        return np.load(io.BytesIO(self.get_bytes(key)), allow_pickle=False)  # type: ignore[no-any-return]


class LocalArtifactStore(ArtifactStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return self.root.as_posix()

    def _file(self, key: str) -> Path:
        p = (self.root / clean_key(key)).resolve()
        # Resolving catches a symlink inside the store that points out of it.
        if self.root not in p.parents:
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return p

    def path(self, key: str) -> Path:
        p = self._file(key)
        if not p.is_file():
            raise KeyError(key)
        return p

    def exists(self, key: str) -> bool:
        p = self._file(key)
        if p.is_dir():
            # Like a bucket: a folder left empty (a write that failed, a tree deleted file by file) holds nothing.
            return any(not name.startswith(".tmp-") for _, _, names in os.walk(p) for name in names)
        return p.is_file()

    def put_stream(self, key: str, stream: BinaryIO) -> int:
        dest = self._file(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(stream, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest.stat().st_size

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._file(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as e:
            raise KeyError(key) from e

    def get_array(self, key: str, mmap: bool = False) -> npt.NDArray[np.generic]:
        return np.load(self.path(key), mmap_mode="r" if mmap else None, allow_pickle=False)  # type: ignore[no-any-return]

    def delete_prefix(self, prefix: str) -> None:
        p = self._file(prefix)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
