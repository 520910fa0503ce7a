"""Tiny synthetic datasets in Stanford's IMDB layout, for parsing and failure tests.

Texts are made up here; real review text is only read from the shared archive at test time.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

# (split, class) -> {file name: text}
Reviews = Mapping[tuple[str, str], Mapping[str, str | bytes]]


def movie_line(i: int) -> str:
    return f"http://www.imdb.com/title/tt{1000000 + i}/usercomments"


def write_layout(dest: Path, reviews: Reviews, urls_lines: int | None = 10_010) -> Path:
    """Write dest/aclImdb/... (urls files with `urls_lines` lines unless None) and return aclImdb."""
    root = dest / "aclImdb"
    for (split, cls), files in reviews.items():
        d = root / split / cls
        d.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        if urls_lines is not None:
            lines = "".join(movie_line(i) + "\n" for i in range(urls_lines))
            (root / split / f"urls_{cls}.txt").write_text(lines)
    (root / "README").write_text("synthetic\n")
    return root


def write_archive(root: Path, dest: Path, urls_last: bool = True) -> Path:
    """Pack an aclImdb folder as .tar.gz; with `urls_last`, the urls files come after the reviews,
    as in Stanford's archive."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name.startswith("urls_") == urls_last)
    with tarfile.open(dest, "w:gz") as tf:
        for p in files:
            data = p.read_bytes()
            info = tarfile.TarInfo(f"aclImdb/{p.relative_to(root).as_posix()}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return dest


def small_reviews() -> dict[tuple[str, str], dict[str, str | bytes]]:
    """Four reviews per (split, class) with varied ids and scores."""
    return {
        ("train", "pos"): {"0_9.txt": "Great film.<br /><br />Loved it!", "3_10.txt": "Wonderful acting",
                           "11_7.txt": "good fun", "12_8.txt": "Café scenes were lovely"},
        ("train", "neg"): {"1_1.txt": "Awful plot", "2_3.txt": "boring<br />boring", "5_4.txt": "bad",
                           "10_2.txt": "terrible, truly"},
        ("test", "pos"): {"0_10.txt": "A masterpiece", "4_7.txt": "nice", "6_8.txt": "fine film",
                          "7_9.txt": "yes"},
        ("test", "neg"): {"10003_3.txt": "zzzunseen word", "1_2.txt": "meh", "2_1.txt": "no",
                          "3_4.txt": "weak"},
    }
