"""A seeded subset of the shared IMDB archive, written in Stanford's layout (with urls files).

Review text is never committed: tests build this folder from ../shared/data at run time.
"""

from __future__ import annotations

import random
import re
import shutil
import tarfile
from collections import defaultdict
from pathlib import Path

from backend.core.data.imdb import ImdbReview, iter_reviews

_REVIEW = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_URLS = re.compile(r"^aclImdb/(train|test)/urls_(pos|neg)\.txt$")


def build_subset(archive: str, dest: Path, per_class: int, seed: int = 0) -> Path:
    """Write `per_class` reviews per (split, class) to dest/aclImdb; return the aclImdb folder."""
    root = dest / "aclImdb"
    if (root / ".complete").exists():
        return root
    members: dict[tuple[str, str], list[tarfile.TarInfo]] = defaultdict(list)
    urls: dict[tuple[str, str], bytes] = {}
    with tarfile.open(archive, "r:gz") as tf:
        for m in tf:
            if (hit := _REVIEW.match(m.name)) is not None:
                members[(hit[1], hit[2])].append(m)
            elif (hit := _URLS.match(m.name)) is not None:
                f = tf.extractfile(m)
                assert f is not None
                urls[(hit[1], hit[2])] = f.read()
    rng = random.Random(seed)
    chosen = {
        key: {m.name for m in rng.sample(sorted(ms, key=lambda m: m.name), per_class)}
        for key, ms in members.items()
    }
    wanted = set().union(*chosen.values())
    with tarfile.open(archive, "r:gz") as tf:
        for m in tf:
            if m.name in wanted:
                f = tf.extractfile(m)
                assert f is not None
                out = dest / m.name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(f.read())
    for (split, cls), data in urls.items():
        (root / split / f"urls_{cls}.txt").write_bytes(data)
    (root / ".complete").write_text("ok")
    return root


def pick_reviews(root: Path, per_class: int, seed: int = 0) -> list[ImdbReview]:
    """`per_class` reviews per (split, class) of an aclImdb folder, seeded, read by the importer's reader."""
    groups: dict[tuple[str, int], list[ImdbReview]] = defaultdict(list)
    for review in iter_reviews(root):
        groups[(review.split, review.label)].append(review)
    rng = random.Random(seed)
    return [r for key in sorted(groups) for r in rng.sample(groups[key], min(per_class, len(groups[key])))]


def copy_subset(root: Path, dest: Path, per_class: int, seed: int = 0) -> Path:
    """A smaller aclImdb folder (urls files included) from a bigger one; returns dest/aclImdb."""
    out = dest / "aclImdb"
    rng = random.Random(seed)
    for split in ("train", "test"):
        for cls in ("neg", "pos"):
            files = sorted((root / split / cls).glob("*.txt"))
            (out / split / cls).mkdir(parents=True, exist_ok=True)
            for f in rng.sample(files, min(per_class, len(files))):
                shutil.copyfile(f, out / split / cls / f.name)
            urls = root / split / f"urls_{cls}.txt"
            if urls.is_file():
                shutil.copyfile(urls, out / split / urls.name)
    return out
