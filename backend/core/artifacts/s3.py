"""The artifact store in an S3-compatible bucket (AWS S3, MinIO, Ceph...), through fsspec's s3fs.

For workers on different hosts: they share the bucket and nothing else. Objects live at
`<bucket>/<prefix>/<key>`. A PUT replaces an object at once (a multipart upload appears only when
completed), so a reader sees the old artifact or the new one, never half of one.
Reads that need a local file (`path`, `get_array(mmap=True)`) go through a per-host read-through
cache (backend/core/artifacts/cache.py) whose entries are named by ETag, so a rewritten key is fetched anew;
a hit costs one HEAD request.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from backend.core.artifacts.cache import TMP_PREFIX, ReadThroughCache, version_tag
from backend.core.artifacts.store import ArtifactStore, clean_key
from backend.core.settings import Settings

if TYPE_CHECKING:
    import s3fs

BLOCK = 8 << 20


def filesystem(settings: Settings) -> s3fs.S3FileSystem:
    # Imported here: s3fs and botocore cost ~0.4 s of start-up that a process with a folder store never needs.
    import s3fs

    client: dict[str, Any] = {}
    config: dict[str, Any] = {}
    if settings.s3_region:
        client["region_name"] = settings.s3_region
    if settings.s3_endpoint_url:
        client["endpoint_url"] = settings.s3_endpoint_url
        # MinIO and most self-hosted servers serve buckets as paths, not as host names.
        config["s3"] = {"addressing_style": "path"}
    key, secret = settings.aws_access_key_id, settings.aws_secret_access_key
    return s3fs.S3FileSystem(
        key=key.get_secret_value() if key else None,
        secret=secret.get_secret_value() if secret else None,
        client_kwargs=client,
        config_kwargs=config,
        # Other processes write the bucket: a cached listing would answer exists() with stale news.
        use_listings_cache=False,
    )


class S3ArtifactStore(ArtifactStore):
    def __init__(self, fs: s3fs.S3FileSystem, bucket: str, prefix: str, cache: ReadThroughCache,
                 endpoint: str | None = None) -> None:
        self.fs = fs
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.cache = cache
        self.endpoint = endpoint

    @classmethod
    def from_settings(cls, settings: Settings) -> S3ArtifactStore:
        bucket, _, prefix = settings.artifacts.removeprefix("s3://").partition("/")
        return cls(filesystem(settings), bucket, prefix,
                   ReadThroughCache(settings.artifact_cache, settings.artifact_cache_max_bytes),
                   settings.s3_endpoint_url)

    @property
    def url(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{self.endpoint} {where}" if self.endpoint else where

    def _remote(self, key: str) -> str:
        return "/".join(p for p in (self.bucket, self.prefix, clean_key(key)) if p)

    def path(self, key: str) -> Path:
        remote = self._remote(key)
        try:
            info = self.fs.info(remote)
        except FileNotFoundError as e:
            raise KeyError(key) from e
        if info.get("type") != "file":
            raise KeyError(key)
        hit = self.cache.lookup(key, version_tag(info.get("ETag"), int(info["size"])))
        if hit is not None:
            return hit
        from fsspec.asyn import sync  # loaded with s3fs, by an S3 store only (see `filesystem`)

        tmp, tag = sync(self.fs.loop, self._download, key, remote)
        # Off the event loop, which every s3fs call of this process shares: fsync and pruning take a while.
        return self.cache.commit(tmp, key, tag)

    async def _download(self, key: str, remote: str) -> tuple[Path, str]:
        """Download the object in one GET and file it under that GET's own ETag: whatever rewrites
        happen meanwhile, the copy is one whole version, named for it. (s3fs's ranged reads would fail
        on a rewrite, and its parallel part downloads could mix two versions.)"""
        bucket, name, _ = self.fs.split_path(remote)
        try:
            response = await self.fs._call_s3("get_object", Bucket=bucket, Key=name)
        except FileNotFoundError as e:  # deleted since the HEAD
            raise KeyError(key) from e
        tmp = self.cache.temp_for(key)
        body = response["Body"]
        try:
            with open(tmp, "wb") as f:
                while chunk := await body.read(BLOCK):
                    f.write(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            body.close()
        return tmp, version_tag(response.get("ETag"), int(response["ContentLength"]))

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._remote(key)))

    def put_bytes(self, key: str, data: bytes) -> int:
        self.fs.pipe_file(self._remote(key), data)
        return len(data)

    def put_stream(self, key: str, stream: BinaryIO) -> int:
        # Spooled to disk first: an upload that fails halfway must leave no object behind, which a
        # single put_file (PUT, or a multipart upload completed only at the end) guarantees.
        tmp_dir = self.cache.root / TMP_PREFIX.rstrip("-")
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                while chunk := stream.read(BLOCK):
                    f.write(chunk)
                size = f.tell()
            self.fs.put_file(tmp, self._remote(key))
        finally:
            Path(tmp).unlink(missing_ok=True)
        return size

    def get_bytes(self, key: str) -> bytes:
        try:
            return bytes(self.fs.cat_file(self._remote(key)))
        except (FileNotFoundError, IsADirectoryError) as e:
            raise KeyError(key) from e

    def delete_prefix(self, prefix: str) -> None:
        remote = self._remote(prefix)
        # find() lists `remote/` (never `remote2...`) and falls back to the object itself.
        victims = set(self.fs.find(remote))
        if self.fs.isfile(remote):
            victims.add(remote)
        if victims:
            self.fs.rm(sorted(victims))
        self.cache.forget(prefix)
