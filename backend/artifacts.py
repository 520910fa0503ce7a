"""The artifact store: checkpoints, tokenizers, token arrays, latent vectors, maps.

Keys are relative POSIX paths ("versions/3/epoch_2/model.pt"). Writes are atomic (temp file +
rename) so that a crashed worker never leaves a half-written artifact that looks complete.
In distributed mode the root is a folder every worker mounts (NFS, a compose volume).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from backend.settings import get_settings


class ArtifactStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if self.root not in p.parents and p != self.root:
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return p

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def put_bytes(self, key: str, data: bytes) -> int:
        return self.put_stream(key, io.BytesIO(data))

    def put_stream(self, key: str, stream: BinaryIO) -> int:
        dest = self.path(key)
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
            return self.path(key).read_bytes()
        except FileNotFoundError as e:
            raise KeyError(key) from e

    def put_array(self, key: str, array: npt.NDArray[np.generic]) -> int:
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        return self.put_bytes(key, buf.getvalue())

    def get_array(self, key: str, mmap: bool = False) -> npt.NDArray[np.generic]:
        path = self.path(key)
        if not path.exists():
            raise KeyError(key)
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)  # type: ignore[no-any-return]

    def delete_prefix(self, prefix: str) -> None:
        p = self.path(prefix)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def get_store() -> ArtifactStore:
    return ArtifactStore(get_settings().artifacts)
