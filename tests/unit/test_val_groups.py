"""Validation carved out of train by groups (movies, a custom group column, exact copies), never by review."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from backend.core.data.records import DatasetFormatError, SourceRecord
from backend.core.data.splits import Planned, drop_cross_split_copies, duplicate_stats, plan_splits

CLASSES = ["neg", "pos"]


def _records(n_movies: int = 60, seed: int = 0) -> list[SourceRecord]:
    """Train reviews of movies with 1-9 reviews each, both classes within a movie; and some test."""
    rng = np.random.default_rng(seed)
    out = []
    for m in range(n_movies):
        for j in range(int(rng.integers(1, 10))):
            label = CLASSES[int(rng.integers(0, 2))]
            out.append(SourceRecord(key=f"train/{m}/{j}", split="train", label=label, text=f"movie {m} review {j}",
                                    order=len(out), movie_id=f"tt{m}", meta={"author": f"a{m % 7}"}))
    out.append(SourceRecord(key="test/0", split="test", label="pos", text="a test review", order=0, movie_id="tt999"))
    return out


def _splits_by(planned: list, key) -> dict[str, set[str]]:  # type: ignore[no-untyped-def,type-arg]
    out: dict[str, set[str]] = {}
    for p in planned:
        out.setdefault(key(p.record), set()).add(p.split)
    return out


def test_no_movie_is_in_both_train_and_val_and_classes_keep_their_share() -> None:
    records = _records()
    planned = plan_splits(records, CLASSES, 0.2, seed=3)
    movies = _splits_by(planned, lambda r: r.movie_id)
    assert all(len(splits) == 1 for m, splits in movies.items()), "a movie straddles train and val"
    train = [r for r in records if r.split == "train"]
    val = Counter(p.label for p in planned if p.split == "val")
    want = Counter(CLASSES.index(r.label) for r in train)
    for label, n in want.items():
        # Whole movies fill each class's quota as closely as they can: within a movie's size (9 reviews).
        assert abs(val[label] - round(0.2 * n)) <= 9, (val, want)
    assert plan_splits(records, CLASSES, 0.2, seed=3) == planned  # deterministic
    assert plan_splits(records, CLASSES, 0.2, seed=4) != planned


def test_exact_copies_stay_together_even_across_movies() -> None:
    records = _records()
    # The same text under two movies (IMDB has such copies): joined into one group.
    copy = SourceRecord(key="train/copy", split="train", label="pos", text="movie 3 review 0", order=999,
                        movie_id="tt40")
    for seed in range(8):
        planned = plan_splits([*records, copy], CLASSES, 0.3, seed=seed)
        by_text = _splits_by(planned, lambda r: r.text)
        assert by_text["movie 3 review 0"] in ({"train"}, {"val"})
        movies = _splits_by(planned, lambda r: r.movie_id)
        assert movies["tt3"] == movies["tt40"]


def test_a_custom_group_column_keeps_its_groups_together() -> None:
    records = [SourceRecord(key=r.key, split=r.split, label=r.label, text=r.text, order=r.order, meta=r.meta)
               for r in _records()]
    planned = plan_splits(records, CLASSES, 0.25, seed=1, group_column="author")
    authors = _splits_by([p for p in planned if p.split != "test"], lambda r: r.meta["author"])
    assert all(len(s) == 1 for s in authors.values()) and any(s == {"val"} for s in authors.values())


def test_a_val_size_that_empties_a_class_is_refused() -> None:
    with pytest.raises(DatasetFormatError, match="train has only"):
        plan_splits(_records(5), CLASSES, 10_000, seed=0)


def test_duplicates_are_counted_per_split_pair() -> None:
    def planned(key: str, split: str, text: str) -> Planned:
        return Planned(SourceRecord(key=key, split=split, label="pos", text=text, order=0), split, 1)
    stats = duplicate_stats([planned("a", "train", "same"), planned("b", "train", "same"),
                             planned("c", "test", "same"), planned("d", "val", "twin"), planned("e", "val", "twin"),
                             planned("f", "train", "once")])
    assert (stats["groups"], stats["samples"]) == (2, 5)
    assert (stats["cross_split_groups"], stats["cross_split_samples"]) == (1, 3)
    assert stats["groups_by_split_pair"] == {"test-train": 1}


def test_train_copies_of_test_or_val_texts_can_be_left_out() -> None:
    records = [
        SourceRecord(key="tr1", split="train", label="pos", text="seen in test", order=0),
        SourceRecord(key="tr2", split="train", label="pos", text="seen in test", order=1),
        SourceRecord(key="tr3", split="train", label="neg", text="only in train", order=2),
        SourceRecord(key="va1", split="val", label="neg", text="in val and test", order=0),
        SourceRecord(key="te1", split="test", label="pos", text="seen in test", order=0),
        SourceRecord(key="te2", split="test", label="neg", text="in val and test", order=1),
    ]
    kept, dropped = drop_cross_split_copies(records)
    assert [r.key for r in kept] == ["tr3", "te1", "te2"] and dropped == 3
