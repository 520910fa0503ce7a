"""Sending a local dataset to the API's upload routes: the file is streamed from disk in chunks (never read
whole into memory) behind a progress bar of the bytes sent. A local folder goes up as an archive that is
first written to a temporary file: a zip of a custom dataset's files, or a .tar.gz of an aclImdb folder in
the layout the IMDB reader streams."""

from __future__ import annotations

import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from backend.cli.client import ApiClient, CliError
from backend.cli.output import console
from backend.core.data.imdb import CLASSES, SPLITS, ImdbFormatError, find_root

Packer = Callable[[Path, Path], Path]


def send(api: ApiClient, route: str, file: Path, fields: dict[str, Any]) -> Any:
    """POST `file` to `route` with a bar of the bytes sent; returns the API's answer (the import job)."""
    size = file.stat().st_size
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(f"uploading {file.name}", total=size)

        def sent(done: int) -> None:
            bar.update(task, completed=done)
            if done >= size:  # the server reads and checks the whole upload before it answers
                bar.update(task, description=f"uploaded {file.name}, the server is checking it")

        return api.upload(route, file, fields, progress=sent)


@contextmanager
def local_upload(path: str, pack: Packer) -> Iterator[Path]:
    """The local file at `path`, or the folder there packed by `pack` into a temporary archive."""
    local = Path(path).expanduser()
    if not local.exists():
        raise CliError(f"{path} does not exist here (a path on the server needs --server-path)")
    if local.is_file():
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="lensboard-upload-") as tmp:
        yield pack(local.resolve(), Path(tmp))


def zip_folder(folder: Path, tmp: Path) -> Path:
    """Every file under `folder` but hidden ones, in a zip named after the folder."""
    archive = tmp / f"{folder.name or 'dataset'}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file() and not f.name.startswith("."):
                zf.write(f, f.relative_to(folder).as_posix())
    return archive


def imdb_targz(folder: Path, tmp: Path) -> Path:
    """The labeled reviews and urls files of an aclImdb folder (not train/unsup, nor the bag-of-words
    files) as aclImdb/... in a .tar.gz, fast to write (compression level 1)."""
    try:
        root = find_root(folder)
    except ImdbFormatError as e:
        raise CliError(str(e)) from e
    archive = tmp / "aclImdb.tar.gz"
    with console.status(f"packing {folder.name} into {archive.name}"), \
            tarfile.open(archive, "w:gz", compresslevel=1) as tf:
        for split in SPLITS:
            for cls in CLASSES:
                urls = root / split / f"urls_{cls}.txt"
                if urls.is_file():
                    tf.add(urls, f"aclImdb/{split}/{urls.name}")
                reviews = root / split / cls
                if reviews.is_dir():
                    for f in sorted(reviews.iterdir()):
                        if f.is_file() and f.suffix == ".txt" and not f.name.startswith("."):
                            tf.add(f, f"aclImdb/{split}/{cls}/{f.name}")
    return archive
