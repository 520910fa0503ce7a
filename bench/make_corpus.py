"""A seeded synthetic corpus of N labeled reviews, for the scale benchmark (bench/scale.py).

No million-review labeled corpus is on these machines, so one is recombined from IMDB's train reviews:
each synthetic review takes its sentences from reviews of ONE class (chosen at random per review), so the
label keeps its meaning, and as many sentences as a random train review of that class has (so lengths
follow IMDB's). Its score is drawn from that class's range (neg 1-4, pos 7-10) and its movie id from a
pool of about N/30 synthetic movies. Test reviews are never used, so the shared test set stays unseen.

Output: a CSV with the columns the custom import reads (backend/core/data/custom.py): id, text, label,
split (train or test; val is carved by the import), and score and movie_id as metadata. Written row by
row, so memory stays that of the sentence pools whatever N is. The generated text is a fixture, never
committed: it goes where --out says (default under the data folder's imports/, which a server-side import
may read).

    python -m bench.make_corpus --n 1000000 --out /path/corpus.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from backend.core.data.imdb import CLASSES, iter_reviews
from backend.core.settings import get_settings
from bench.imdb_data import archive_path

CHUNK = 10_000
MAX_SENTENCES = 40  # a few IMDB reviews run to 100+ sentences; cap so one row stays review-sized
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
SCORES = {0: (1, 2, 3, 4), 1: (7, 8, 9, 10)}


@dataclass(frozen=True)
class Pool:
    """One class's sentences (flat) and the sentence counts of its reviews."""

    sentences: list[str]
    lengths: npt.NDArray[np.int64]


def sentences_of(text: str) -> list[str]:
    """A review cut into sentences at . ! ? followed by space; the HTML line breaks become spaces."""
    flat = " ".join(_BREAK.sub(" ", text).split())
    return [s for s in _SENTENCE_END.split(flat) if s]


def build_pools(archive: str) -> dict[int, Pool]:
    """Per class, the sentences of IMDB's train reviews (in key order, so a seed always gives one corpus)."""
    by_class: dict[int, list[tuple[str, list[str]]]] = {0: [], 1: []}
    for r in iter_reviews(archive):
        if r.split == "train":
            by_class[r.label].append((r.key, sentences_of(r.text)))
    pools = {}
    for label, reviews in by_class.items():
        reviews.sort(key=lambda t: t[0])
        flat = [s for _, ss in reviews for s in ss]
        lengths = np.array([min(max(len(ss), 1), MAX_SENTENCES) for _, ss in reviews], dtype=np.int64)
        pools[label] = Pool(sentences=flat, lengths=lengths)
    return pools


def write_corpus(out: Path, n: int, seed: int, test_fraction: float, pools: dict[int, Pool]) -> None:
    """N rows to `out` (replaced atomically: a half-written corpus is never left under its name)."""
    rng = np.random.default_rng([seed, 22])
    movies = max(1, n // 30)
    tmp = out.with_name(out.name + ".partial")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "label", "split", "score", "movie_id"])
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            labels = rng.integers(0, 2, size)
            test = rng.random(size) < test_fraction
            movie = rng.integers(0, movies, size)
            score_pick = rng.integers(0, 4, size)
            for i in range(size):
                label = int(labels[i])
                pool = pools[label]
                k = int(pool.lengths[rng.integers(0, len(pool.lengths))])
                picks = rng.integers(0, len(pool.sentences), k)
                text = " ".join(pool.sentences[j] for j in picks)
                w.writerow([f"syn{start + i}", text, CLASSES[label], "test" if test[i] else "train",
                            SCORES[label][score_pick[i]], f"m{int(movie[i])}"])
    tmp.replace(out)


def default_out(n: int) -> Path:
    return get_settings().imports_dir / f"synthetic_{n}.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--archive", default=None, help="IMDB archive (default: the shared one)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or default_out(args.n)
    t0 = time.perf_counter()
    pools = build_pools(args.archive or archive_path())
    write_corpus(out, args.n, args.seed, args.test_fraction, pools)
    size = out.stat().st_size
    print(f"corpus: {args.n:,} reviews, {size / 1e6:.1f} MB -> {out} in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    print(f"corpus_path={out}")


if __name__ == "__main__":
    main()
