"""Reading the Large Movie Review Dataset (IMDB) in Stanford's layout, and downloading it.

Layout: `aclImdb/{train,test}/{pos,neg}/<id>_<score>.txt`, plus `{split}/urls_{pos,neg}.txt` whose
line i is the IMDb page of review i's movie. The source is either a .tar.gz, read as a stream
(nothing is extracted to disk), or an extracted folder. Anything else in the archive (README,
imdb.vocab, train/unsup, *.feat) is ignored.

Every problem with the input (corrupt archive, wrong path, bad name, bad UTF-8) is an
`ImdbFormatError` whose message names the file, so an import fails with something a user can act on.
It names the input by its file name (or the name an upload had), never by its full path on the server.
"""

from __future__ import annotations

import gzip
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from backend.core.data.records import DatasetFormatError, SourceRecord, error_reason
from backend.core.vocabulary import Split

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"

# The archive's split folders: IMDB ships no validation split (the import carves one out of train).
SPLITS: tuple[Split, ...] = (Split.TRAIN, Split.TEST)
CLASSES = ("neg", "pos")  # index = label

# Paths relative to the aclImdb folder.
_REVIEW_DIR = re.compile(r"^(train|test)/(pos|neg)/([^/]+)$")
_REVIEW_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")
_URLS = re.compile(r"^(train|test)/urls_(pos|neg)\.txt$")
_MOVIE_ID = re.compile(r"\btt\d+\b")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"

ProgressFn = Callable[[float], None]


class ImdbFormatError(DatasetFormatError):
    """The input is not a readable IMDB dataset in Stanford's layout."""


@dataclass(frozen=True)
class ImdbReview:
    key: str  # natural id: "test/neg/10003_3"
    split: Split
    label: int  # 0 = neg, 1 = pos
    text: str
    review_id: int
    score: int  # the reviewer's rating, 1-10
    movie_id: str | None  # "tt0453418", from urls_*.txt; None when the urls file is absent

    @property
    def word_count(self) -> int:
        return word_count(self.text)

    def record(self) -> SourceRecord:
        return SourceRecord(key=self.key, split=self.split, label=CLASSES[self.label], text=self.text,
                            order=self.review_id, score=self.score, movie_id=self.movie_id,
                            meta={"review_id": self.review_id})


def word_count(text: str) -> int:
    """Whitespace-separated words, with HTML line breaks counted as breaks (not glued to words)."""
    return len(_BR.sub(" ", text).split())


def parse_review_path(rel: str) -> tuple[Split, int, int, int] | None:
    """`train/pos/123_9.txt` -> (split, label, review id, score); None for paths outside pos/neg.

    A file inside a pos/neg folder whose name is not `<id>_<score>.txt` (score 1-10) is an error:
    silently skipping it would import a dataset that is missing reviews.
    """
    hit = _REVIEW_DIR.match(rel)
    if hit is None:
        return None
    split, cls, name = hit[1], hit[2], hit[3]
    if name.startswith("."):  # editor and OS litter (.DS_Store, ._foo)
        return None
    m = _REVIEW_NAME.match(name)
    if m is None:
        raise ImdbFormatError(f"{rel}: review files must be named <id>_<score>.txt")
    score = int(m[2])
    if not 1 <= score <= 10:
        raise ImdbFormatError(f"{rel}: score {score} is outside 1-10")
    return Split(split), CLASSES.index(cls), int(m[1]), score


def parse_urls(rel: str, data: bytes) -> list[str | None]:
    """One entry per line: the `tt...` movie id, or None for a line without one."""
    text = _decode(rel, data)
    return [(m[0] if (m := _MOVIE_ID.search(line)) else None) for line in text.splitlines()]


def _decode(rel: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ImdbFormatError(f"{rel}: not valid UTF-8 at byte {e.start} ({e.reason})") from e


def _review(rel: str, parsed: tuple[Split, int, int, int], data: bytes) -> ImdbReview:
    split, label, review_id, score = parsed
    if (nul := data.find(b"\0")) >= 0:  # valid UTF-8, but PostgreSQL text can't hold it: reject everywhere
        raise ImdbFormatError(f"{rel}: contains a NUL byte at {nul}")
    return ImdbReview(key=rel.removesuffix(".txt"), split=split, label=label, text=_decode(rel, data),
                      review_id=review_id, score=score, movie_id=None)


class _MovieIds:
    """Resolves review id -> movie id once the urls file of its (split, class) has been read."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, int], tuple[str, list[str | None]]] = {}

    def add(self, rel: str, data: bytes) -> None:
        hit = _URLS.match(rel)
        assert hit is not None
        self.files[(hit[1], CLASSES.index(hit[2]))] = (rel, parse_urls(rel, data))

    def known(self, review: ImdbReview) -> bool:
        return (review.split, review.label) in self.files

    def resolve(self, review: ImdbReview) -> ImdbReview:
        entry = self.files.get((review.split, review.label))
        if entry is None:
            return review
        rel, ids = entry
        if review.review_id >= len(ids):
            raise ImdbFormatError(f"{rel} has {len(ids)} lines; none for review {review.key}")
        movie = ids[review.review_id]
        if movie is None:
            raise ImdbFormatError(f"{rel}: line {review.review_id} (review {review.key}) has no movie id")
        return replace(review, movie_id=movie)


class _Duplicates:
    def __init__(self) -> None:
        self.seen: dict[tuple[str, int, int], str] = {}

    def check(self, review: ImdbReview) -> None:
        k = (review.split, review.label, review.review_id)
        if (other := self.seen.setdefault(k, review.key)) != review.key:
            raise ImdbFormatError(f"review id {review.review_id} appears twice: {other} and {review.key}")


def iter_reviews(path: str | os.PathLike[str], on_progress: ProgressFn | None = None,
                 name: str | None = None) -> Iterator[ImdbReview]:
    """Every labeled review under `path`: a .tar.gz, a folder containing `aclImdb/`, or `aclImdb/` itself.

    `on_progress` gets the fraction of the input read so far (by compressed bytes for an archive).
    `name`: what messages call the input (default: its file name).
    """
    p = Path(path).expanduser()
    name = name or p.name
    if p.is_dir():
        yield from _iter_folder(find_root(p, name), on_progress)
    elif p.is_file():
        yield from _iter_archive(p, on_progress, name)
    elif p.exists():
        raise ImdbFormatError(f"{name} is neither a file nor a folder")
    else:
        raise ImdbFormatError(f"{name} does not exist")


def check_source(path: str | os.PathLike[str]) -> None:
    """Cheap up-front check (no full read) that `path` can be an IMDB source; the API answers 422 with it."""
    p = Path(path).expanduser()
    if p.is_dir():
        find_root(p)
    elif p.is_file():
        with open(p, "rb") as f:
            if f.read(2) != _GZIP_MAGIC:
                raise ImdbFormatError(f"{p.name} is not a .tar.gz archive (no gzip header)")
    elif p.exists():
        raise ImdbFormatError(f"{p.name} is neither a file nor a folder")
    else:
        raise ImdbFormatError(f"{p.name} does not exist")


def find_root(folder: Path, name: str | None = None) -> Path:
    """The aclImdb folder: `folder/aclImdb`, or `folder` itself when it holds {train,test}/{pos,neg}."""
    for candidate in (folder / "aclImdb", folder):
        if any((candidate / s / c).is_dir() for s in SPLITS for c in CLASSES):
            return candidate
    raise ImdbFormatError(f"{name or folder.name} has no aclImdb/{{train,test}}/{{pos,neg}} folders")


def _iter_folder(root: Path, on_progress: ProgressFn | None) -> Iterator[ImdbReview]:
    movies = _MovieIds()
    for split in SPLITS:
        for cls in CLASSES:
            urls = root / split / f"urls_{cls}.txt"
            if urls.is_file():
                movies.add(f"{split}/urls_{cls}.txt", urls.read_bytes())
    files: list[tuple[tuple[Split, int, int, int], str, Path]] = []
    for split in SPLITS:
        for cls in CLASSES:
            d = root / split / cls
            if not d.is_dir():
                continue
            for f in d.iterdir():
                rel = f"{split}/{cls}/{f.name}"
                if (parsed := parse_review_path(rel)) is not None:
                    if not f.is_file():
                        raise ImdbFormatError(f"{rel} is not a regular file")
                    files.append((parsed, rel, f))
    if not files:
        raise ImdbFormatError(f"{root.name} holds no reviews in {{train,test}}/{{pos,neg}}")
    files.sort(key=lambda t: t[0])
    dupes = _Duplicates()
    for n, (parsed, rel, f) in enumerate(files, 1):
        review = _review(rel, parsed, f.read_bytes())
        dupes.check(review)
        yield movies.resolve(review)
        if on_progress is not None and (n % 1000 == 0 or n == len(files)):
            on_progress(n / len(files))


def _iter_archive(path: Path, on_progress: ProgressFn | None, name: str) -> Iterator[ImdbReview]:
    """Stream the archive once. Stanford's tarball lists the urls files after the reviews, so reviews
    whose urls file has not been seen yet wait in memory and are resolved at the end."""
    size = max(path.stat().st_size, 1)
    movies = _MovieIds()
    dupes = _Duplicates()
    pending: list[ImdbReview] = []
    count = 0
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed in `finally`; its position gives the progress)
    except OSError as e:
        raise ImdbFormatError(f"cannot open {name}: {error_reason(e)}") from e
    try:
        if raw.read(2) != _GZIP_MAGIC:
            raise ImdbFormatError(f"{name} is not a .tar.gz archive (no gzip header)")
        raw.seek(0)
        # GzipFile, unlike tarfile's own stream reader, checks the CRC and length at the end.
        with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
            # "r|": forward-only (no seeking, no member index), so nothing is buffered but one member.
            with tarfile.open(fileobj=gz, mode="r|") as tf:
                for member in tf:
                    rel = _relative(member.name)
                    if rel is None:
                        continue
                    if _URLS.match(rel):
                        movies.add(rel, _read(tf, member, rel))
                        continue
                    parsed = parse_review_path(rel)
                    if parsed is None or member.isdir():
                        continue
                    if not member.isfile():
                        raise ImdbFormatError(f"{member.name} in {name} is not a regular file")
                    review = _review(rel, parsed, _read(tf, member, rel))
                    dupes.check(review)
                    count += 1
                    if movies.known(review):
                        yield movies.resolve(review)
                    else:
                        pending.append(review)
                    if on_progress is not None and count % 1000 == 0:
                        on_progress(min(raw.tell() / size, 1.0))
            _check_tail(gz, name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise ImdbFormatError(f"{name} is not a readable .tar.gz archive (corrupt or truncated?): "
                              f"{type(e).__name__}: {error_reason(e)}") from e
    finally:
        raw.close()
    if count == 0:
        raise ImdbFormatError(f"{name} holds no reviews under aclImdb/{{train,test}}/{{pos,neg}}")
    for review in pending:
        yield movies.resolve(review)
    if on_progress is not None:
        on_progress(1.0)


def _check_tail(gz: gzip.GzipFile, name: str) -> None:
    """Read the gzip stream to its end (which checks the CRC) and make sure only padding is left.

    tarfile treats a damaged member header as the end of the archive, so without this a corrupt
    archive could silently import part of the data.
    """
    while chunk := gz.read(1 << 20):
        if chunk.strip(b"\0"):
            raise ImdbFormatError(f"{name} is not a readable .tar.gz archive (corrupt or truncated?): "
                                  "data follows a damaged member header")


def _relative(name: str) -> str | None:
    """`aclImdb/train/pos/1_9.txt` (or `./aclImdb/...`) -> `train/pos/1_9.txt`; None outside aclImdb/."""
    name = name.removeprefix("./")
    head, sep, rest = name.partition("/")
    return rest if head == "aclImdb" and sep else None


def _read(tf: tarfile.TarFile, member: tarfile.TarInfo, rel: str) -> bytes:
    f: IO[bytes] | None = tf.extractfile(member)
    if f is None:
        raise ImdbFormatError(f"{rel}: cannot be read from the archive")
    return f.read()


def download_imdb(dest_dir: str | os.PathLike[str], url: str = IMDB_URL,
                  progress: Callable[[int, int | None], None] | None = None, timeout: float = 60.0) -> Path:
    """Download Stanford's archive into dest_dir (skipped when it is already there) and return its path.

    Streamed to a temporary file and renamed into place, so an interrupted download never leaves a
    file that looks complete. `progress(bytes_done, bytes_total_or_None)` is called per chunk.
    """
    import httpx

    dest = Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / ARCHIVE_NAME
    if target.is_file():
        return target
    part = dest / f".{ARCHIVE_NAME}.part"
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as r:
            r.raise_for_status()
            total = int(r.headers["content-length"]) if "content-length" in r.headers else None
            done = 0
            with open(part, "wb") as f:
                for chunk in r.iter_bytes(chunk_size=1 << 20):
                    f.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                f.flush()
                os.fsync(f.fileno())
        if total is not None and done != total:
            raise OSError(f"download of {url} stopped at {done} of {total} bytes")
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target
