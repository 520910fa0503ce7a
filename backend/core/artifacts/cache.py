"""Local copies of remote artifacts, for the callers that need a file (mmap, file responses).

An entry is named by its key and the object's version tag (the ETag): `<root>/<key>~<tag>`. A key
rewritten in the bucket (a re-trained epoch, a recomputed map) gets a new tag, so a stale copy is
never served and a lookup costs one HEAD request. Entries are written to a temp file and renamed, so
a process reading the cache never sees half a copy, and several processes may share one cache.
The cache is bounded: past max_bytes the least recently used entries go (POSIX keeps an unlinked
file readable for whoever still has it open or mapped).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from backend.core.artifacts.store import clean_key

TMP_PREFIX = ".tmp-"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def version_tag(etag: str | None, size: int) -> str:
    """A file-name-safe tag for one version of an object: its ETag, or its size where the server gives
    no ETag (then a rewrite of the same size goes unnoticed, which is why the ETag comes first)."""
    tag = _UNSAFE.sub("", etag or "")
    return tag or f"size{size}"


class ReadThroughCache:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)

    def entry(self, key: str, tag: str) -> Path:
        return self.root / f"{clean_key(key)}~{tag}"

    def lookup(self, key: str, tag: str) -> Path | None:
        p = self.entry(key, tag)
        try:
            os.utime(p)  # the modification time is the LRU clock
        except FileNotFoundError:
            return None
        return p

    def temp_for(self, key: str) -> Path:
        """An empty temp file beside key's entries, for a download that commit() then publishes."""
        folder = self.entry(key, "x").parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX)
        os.close(fd)
        return Path(tmp)

    def commit(self, tmp: Path, key: str, tag: str) -> Path:
        """Publish a complete temp file as key's entry for tag (at once: readers never see half a copy)."""
        dest = self.entry(key, tag)
        try:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._drop_versions(key, keep=dest)
        self.prune(keep=dest)
        return dest

    def fill(self, key: str, tag: str, source: BinaryIO) -> Path:
        tmp = self.temp_for(key)
        try:
            with open(tmp, "wb") as f:
                shutil.copyfileobj(source, f, 8 << 20)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return self.commit(tmp, key, tag)

    def forget(self, prefix: str) -> None:
        """Drop the copies of prefix and of everything under prefix/."""
        shutil.rmtree(self.root / clean_key(prefix), ignore_errors=True)
        self._drop_versions(prefix)

    def _drop_versions(self, key: str, keep: Path | None = None) -> None:
        """Remove the copies of key (every tag) but keep."""
        base = self.root / clean_key(key)
        try:
            siblings = list(base.parent.iterdir())
        except FileNotFoundError:
            return
        for p in siblings:
            tag = p.name[len(base.name) + 1:]
            if p != keep and p.name.startswith(base.name + "~") and "~" not in tag and p.is_file():
                p.unlink(missing_ok=True)

    def size(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def _entries(self) -> list[tuple[float, int, Path]]:
        found = []
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                if name.startswith(TMP_PREFIX):
                    continue
                p = Path(dirpath, name)
                with contextlib.suppress(FileNotFoundError):  # another process pruned it meanwhile
                    st = p.stat()
                    found.append((st.st_mtime, st.st_size, p))
        return found

    def prune(self, keep: Path | None = None) -> None:
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        for _, size, p in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            if p != keep:
                p.unlink(missing_ok=True)
                total -= size
