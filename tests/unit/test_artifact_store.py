"""The artifact store's contract, on the local folder and on a real S3 API (moto's server): every caller
uses this interface alone, so what holds here holds for training, maps, imports and the API's reads."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from backend.core.artifacts import get_store
from backend.core.artifacts.s3 import S3ArtifactStore
from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.settings import Settings, get_settings
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Bucket

PREFIX = "lensboard"


def s3_store(bucket: S3Bucket, cache: Path, max_bytes: int = 1 << 30) -> S3ArtifactStore:
    settings = Settings(_env_file=None, data_dir=cache.parent, artifact_cache_dir=cache,  # type: ignore[call-arg]
                        artifact_cache_max_bytes=max_bytes, artifact_url=bucket.url(PREFIX),
                        s3_endpoint_url=bucket.endpoint, s3_region=REGION,
                        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    return S3ArtifactStore.from_settings(settings)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    return s3_store(request.getfixturevalue("s3_bucket"), tmp_path / "cache")


@pytest.fixture
def bucket(s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    # Settings() reads the process environment; these tests name every S3 setting themselves.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "LENSBOARD_ARTIFACT_ROOT", "LENSBOARD_ARTIFACT_URL"):
        monkeypatch.delenv(name, raising=False)
    return s3_bucket


def test_bytes_round_trip_and_overwrite(store: ArtifactStore) -> None:
    assert store.put_bytes("versions/1/meta.json", b'{"a": 1}') == 8
    assert store.get_bytes("versions/1/meta.json") == b'{"a": 1}'
    assert store.put_stream("versions/1/meta.json", io.BytesIO(b"second")) == 6
    assert store.get_bytes("versions/1/meta.json") == b"second"
    assert store.put_bytes("empty", b"") == 0 and store.get_bytes("empty") == b""
    with pytest.raises(KeyError):
        store.get_bytes("versions/1/nothing")
    with pytest.raises(KeyError):
        store.get_bytes("versions/1")  # a prefix is not an artifact


def test_exists_for_artifacts_and_prefixes(store: ArtifactStore) -> None:
    store.put_bytes("versions/10/epoch_1/model.pt", b"w")
    assert store.exists("versions/10/epoch_1/model.pt")
    assert store.exists("versions/10") and store.exists("versions/10/epoch_1")
    assert not store.exists("versions/1"), "versions/1 is not a prefix of versions/10/"
    assert not store.exists("versions/10/epoch_1/model")


def test_path_is_a_local_file_with_the_current_bytes(store: ArtifactStore) -> None:
    store.put_bytes("versions/1/epoch_1/model.pt", b"weights-1")
    p = store.path("versions/1/epoch_1/model.pt")
    assert p.is_file() and p.read_bytes() == b"weights-1"
    store.put_bytes("versions/1/epoch_1/model.pt", b"weights-two")  # a re-trained epoch rewrites its key
    assert store.path("versions/1/epoch_1/model.pt").read_bytes() == b"weights-two"
    with pytest.raises(KeyError):
        store.path("versions/1/epoch_2/model.pt")
    with pytest.raises(KeyError):
        store.path("versions/1/epoch_1")


def test_arrays_and_memory_mapped_reads(store: ArtifactStore) -> None:
    latent = np.arange(600, dtype=np.float16).reshape(200, 3)
    store.put_array("versions/1/epoch_1/latent.npy", latent)
    loaded = store.get_array("versions/1/epoch_1/latent.npy")
    assert loaded.dtype == np.float16 and np.array_equal(loaded, latent)
    mapped = store.get_array("versions/1/epoch_1/latent.npy", mmap=True)
    assert isinstance(mapped, np.memmap) and np.array_equal(mapped, latent)
    with pytest.raises(KeyError):
        store.get_array("versions/1/epoch_2/latent.npy", mmap=True)
    with pytest.raises(KeyError):
        store.get_array("versions/1/epoch_2/latent.npy")


def test_delete_prefix_removes_the_tree_and_nothing_beside_it(store: ArtifactStore) -> None:
    for key in ("versions/1/epoch_1/model.pt", "versions/1/epoch_1/map/coords.npy", "versions/1/source.jsonl.gz",
                "versions/10/epoch_1/model.pt", "versions/1.json"):
        store.put_bytes(key, key.encode())
    store.path("versions/1/epoch_1/model.pt")  # a cached copy (S3) must go with the artifact
    store.delete_prefix("versions/1")
    assert not store.exists("versions/1")
    for key in ("versions/1/epoch_1/model.pt", "versions/1/epoch_1/map/coords.npy"):
        with pytest.raises(KeyError):
            store.get_bytes(key)
        with pytest.raises(KeyError):
            store.path(key)
    assert store.get_bytes("versions/10/epoch_1/model.pt") == b"versions/10/epoch_1/model.pt"
    assert store.get_bytes("versions/1.json") == b"versions/1.json"
    store.delete_prefix("versions/1.json")  # a single artifact
    assert not store.exists("versions/1.json") and store.exists("versions/10")
    store.delete_prefix("versions/404")  # nothing there: no error


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", "", "versions/../../outside", "a/../../b"])
def test_keys_that_escape_the_store_are_refused(store: ArtifactStore, key: str) -> None:
    for call in (lambda: store.put_bytes(key, b"x"), lambda: store.get_bytes(key), lambda: store.path(key),
                 lambda: store.exists(key), lambda: store.delete_prefix(key), lambda: store.get_array(key, mmap=True)):
        with pytest.raises(ValueError, match="escapes the store"):
            call()


class Failing(io.RawIOBase):
    """A stream that breaks after some bytes, like an upload cut off or a worker killed mid-write."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise OSError("connection lost")
        n = min(len(b), self.left)
        b[:n] = b"z" * n
        self.left -= n
        return n


def test_a_failed_write_leaves_the_previous_artifact(store: ArtifactStore) -> None:
    store.put_bytes("datasets/1/source.jsonl.gz", b"old")
    with pytest.raises(OSError, match="connection lost"):
        store.put_stream("datasets/1/source.jsonl.gz", io.BufferedReader(Failing(3 << 20)))
    assert store.get_bytes("datasets/1/source.jsonl.gz") == b"old"
    with pytest.raises(OSError):
        store.put_stream("datasets/2/source.jsonl.gz", io.BufferedReader(Failing(1000)))
    assert not store.exists("datasets/2")


def test_readers_see_one_whole_version_while_a_writer_rewrites(store: ArtifactStore) -> None:
    versions = [bytes([i]) * (256 << 10) * (i + 1) for i in range(3)]  # distinct sizes and bytes
    store.put_bytes("versions/1/epoch_1/model.pt", versions[0])
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for i in range(24):
                store.put_bytes("versions/1/epoch_1/model.pt", versions[i % 3])
        except BaseException as e:
            errors.append(e)
        finally:
            stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen = set()
    while not stop.is_set():
        seen.add(store.get_bytes("versions/1/epoch_1/model.pt"))
        seen.add(store.path("versions/1/epoch_1/model.pt").read_bytes())
    writer.join()
    assert not errors, errors
    assert seen <= set(versions), "a reader saw a torn artifact"


# -- S3 only ----------------------------------------------------------------------------------------

def test_objects_live_under_the_configured_prefix(bucket: S3Bucket, tmp_path: Path) -> None:
    store = s3_store(bucket, tmp_path / "cache")
    store.put_array("versions/1/coords.npy", np.zeros(3, np.float32))
    store.put_stream("datasets/1/source.jsonl.gz", io.BytesIO(b"rows"))
    assert bucket.keys() == [f"{PREFIX}/datasets/1/source.jsonl.gz", f"{PREFIX}/versions/1/coords.npy"]
    assert bucket.get(f"{PREFIX}/datasets/1/source.jsonl.gz") == b"rows"
    store.delete_prefix("versions")
    assert bucket.keys() == [f"{PREFIX}/datasets/1/source.jsonl.gz"]


def test_hosts_with_their_own_caches_share_only_the_bucket(bucket: S3Bucket, tmp_path: Path) -> None:
    worker, api = s3_store(bucket, tmp_path / "worker-cache"), s3_store(bucket, tmp_path / "api-cache")
    worker.put_array("versions/1/epoch_1/latent.npy", np.ones((4, 2), np.float16))
    assert np.array_equal(api.get_array("versions/1/epoch_1/latent.npy", mmap=True), np.ones((4, 2)))
    first = api.path("versions/1/epoch_1/latent.npy")
    assert first.is_relative_to(tmp_path / "api-cache")
    assert not any(p.is_file() for p in (tmp_path / "worker-cache").rglob("*")), "writes do not go through the cache"

    # A hit is the same file, not a new download; a rewrite (new ETag) is fetched and replaces the copy.
    inode = first.stat().st_ino
    assert api.path("versions/1/epoch_1/latent.npy").stat().st_ino == inode
    worker.put_array("versions/1/epoch_1/latent.npy", np.full((4, 2), 7, np.float16))
    second = api.path("versions/1/epoch_1/latent.npy")
    assert second != first and not first.exists()
    assert np.array_equal(np.load(second), np.full((4, 2), 7))

    worker.delete_prefix("versions/1")
    with pytest.raises(KeyError):
        api.path("versions/1/epoch_1/latent.npy")


def test_the_cache_stays_under_its_bound(bucket: S3Bucket, tmp_path: Path) -> None:
    store = s3_store(bucket, tmp_path / "cache", max_bytes=250_000)
    for i in range(5):
        store.put_bytes(f"maps/{i}/points.arrow", bytes(100_000))
        store.path(f"maps/{i}/points.arrow")
    store.cache.prune()
    assert store.cache.size() <= 250_000
    kept = sorted(p.name for p in (tmp_path / "cache").rglob("points.arrow~*"))
    assert len(kept) == 2
    # The newest stay; an evicted one is fetched again on demand.
    assert store.path("maps/4/points.arrow").stat().st_size == 100_000
    assert store.path("maps/0/points.arrow").read_bytes() == bytes(100_000)


@pytest.fixture
def clean_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_settings_alone_choose_the_store(bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         clean_settings: None) -> None:
    monkeypatch.setenv("LENSBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env file
    local = get_store()
    assert isinstance(local, LocalArtifactStore) and local.root == tmp_path / "data" / "artifacts"

    for name, value in bucket.env(PREFIX).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    store = get_store()
    assert isinstance(store, S3ArtifactStore)
    assert store.cache.root == tmp_path / "data" / "artifact-cache"
    store.put_bytes("k", b"v")
    assert bucket.keys() == [f"{PREFIX}/k"]
    assert store.url.endswith(f"s3://{bucket.name}/{PREFIX}")
