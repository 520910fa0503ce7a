"""download_imdb against a local HTTP server (the real Stanford URL is never fetched in tests)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.core.data.imdb import ARCHIVE_NAME, download_imdb, iter_reviews
from tests.support.imdb_fake import small_reviews, write_archive, write_layout


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves), holding a synthetic aclImdb_v1.tar.gz."""
    folder = tmp_path / "www"
    folder.mkdir()
    write_archive(write_layout(tmp_path / "src", small_reviews()), folder / ARCHIVE_NAME)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_download_streams_to_place(served: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = served
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "data"
    path = download_imdb(dest, url=f"{base}/{ARCHIVE_NAME}", progress=lambda d, t: seen.append((d, t)))
    assert path == dest / ARCHIVE_NAME
    assert path.read_bytes() == (folder / ARCHIVE_NAME).read_bytes()
    size = path.stat().st_size
    assert seen[-1] == (size, size)
    assert sorted(p.name for p in dest.iterdir()) == [ARCHIVE_NAME]  # no temporary file left
    assert len(list(iter_reviews(path))) == 16
    # Already there: nothing is fetched again.
    assert download_imdb(dest, url=f"{base}/elsewhere.tar.gz") == path


def test_failed_download_leaves_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = served
    dest = tmp_path / "data"
    with pytest.raises(httpx.HTTPStatusError):
        download_imdb(dest, url=f"{base}/missing.tar.gz")
    assert list(dest.iterdir()) == []
