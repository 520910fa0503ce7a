"""Which split each sample goes to: a source's own splits, or a validation split carved out of train.

Validation is carved by groups, never review by review. IMDB's train and test were built from disjoint
movies, so a val set that shares movies with train (96% of its reviews do when carved per review) scores
about a point above what test will, and val drives early stopping, sweeps and the defaults. A group is a
movie (or a custom dataset's group column), joined with every exact copy of a text, so that a copy never
sits in train while its twin is in val. Groups go to val whole, stratified by class.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.core.data.records import DatasetFormatError, SourceRecord
from backend.core.vocabulary import Split


@dataclass(frozen=True)
class Planned:
    record: SourceRecord
    split: str  # train | val | test
    label: int  # index into the dataset's classes


def validation_count(val_size: float, n_train: int) -> int:
    """A count when >= 1, else a fraction of train; it must leave train samples to fit on."""
    count = round(val_size) if val_size >= 1 else round(val_size * n_train)
    if count >= n_train:
        raise DatasetFormatError(f"val_size {val_size:g} takes {count} samples but train has only {n_train}; "
                                 "use a smaller count or a fraction such as 0.2")
    return count


def group_of(record: SourceRecord, group_column: str | None) -> str | None:
    """The record's group: its movie, or the value of the custom dataset's group column."""
    if group_column is None:
        return record.movie_id
    value = record.meta.get(group_column)
    return None if value is None or value == "" else str(value)


def plan_splits(records: Sequence[SourceRecord], classes: Sequence[str], val_size: float,
                seed: int, group_column: str | None = None) -> list[Planned]:
    """Samples in index order: train, val, test; within a split by class, then order. Deterministic.

    A source without a validation split gets a seeded one carved out of train by groups (see the module's
    note), each class getting its share of val as closely as whole groups allow.
    """
    label_of = {name: i for i, name in enumerate(classes)}

    def ordered(split: str) -> list[tuple[int, SourceRecord]]:
        rows = [(label_of[r.label], r) for r in records if r.split == split]
        return sorted(rows, key=lambda t: (t[0], t[1].order, t[1].key))

    train = ordered(Split.TRAIN)
    if not train:
        raise DatasetFormatError("the input holds no train samples; the vocabulary is fitted on train")
    given_val = ordered(Split.VAL)
    test = [Planned(r, Split.TEST, label) for label, r in ordered(Split.TEST)]
    if given_val:
        return ([Planned(r, Split.TRAIN, label) for label, r in train]
                + [Planned(r, Split.VAL, label) for label, r in given_val] + test)
    want = validation_count(val_size, len(train))
    sizes = Counter(label for label, _ in train)
    quotas = _stratified_quotas(dict(sizes), want)
    val_keys = _carve(train, quotas, seed, group_column)
    in_val = Counter(label for label, r in train if r.key in val_keys)
    for label in sorted(sizes):
        if in_val[label] >= sizes[label]:
            raise DatasetFormatError(f"val_size {val_size:g} leaves no {classes[label]} samples in train")
    return ([Planned(r, Split.TRAIN, label) for label, r in train if r.key not in val_keys]
            + [Planned(r, Split.VAL, label) for label, r in train if r.key in val_keys] + test)


def _carve(train: Sequence[tuple[int, SourceRecord]], quotas: dict[int, int], seed: int,
           group_column: str | None) -> set[str]:
    """Keys of whole groups, drawn in a seeded order, taken while they fit every class's quota."""
    members = _groups([r for _, r in train], group_column)
    label_of = {r.key: label for label, r in train}
    order = np.random.default_rng([seed, 2]).permutation(len(members))
    taken: Counter[int] = Counter()
    val: set[str] = set()
    for g in order:
        counts = Counter(label_of[k] for k in members[g])
        if any(taken[c] + n > quotas.get(c, 0) for c, n in counts.items()):
            continue
        taken.update(counts)
        val.update(members[g])
        if all(taken[c] >= q for c, q in quotas.items()):
            break
    return val


def _groups(records: Sequence[SourceRecord], group_column: str | None) -> list[list[str]]:
    """Keys joined by a shared group or an identical text (union-find), in first-seen order."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, r in enumerate(records):
        group = group_of(r, group_column)
        for key in ((("group", group),) if group is not None else ()) + (("text", r.text),):
            j = first.setdefault(key, i)
            parent[find(i)] = find(j)
    out: dict[int, list[str]] = defaultdict(list)
    for i, r in enumerate(records):
        out[find(i)].append(r.key)
    return list(out.values())


def _stratified_quotas(sizes: dict[int, int], total: int) -> dict[int, int]:
    """Split `total` across classes in proportion to their sizes (largest remainder, exact sum)."""
    n = sum(sizes.values())
    exact = {c: total * s / n for c, s in sizes.items()}
    quotas = {c: int(x) for c, x in exact.items()}
    for c in sorted(exact, key=lambda c: (quotas[c] - exact[c], c))[: total - sum(quotas.values())]:
        quotas[c] += 1
    return quotas


def drop_cross_split_copies(records: Sequence[SourceRecord]) -> tuple[list[SourceRecord], int]:
    """Train's (and a given val's) exact copies of texts that are in a later split (val, test), left out:
    a model that memorised a test review in train would be scored on it as if it generalised."""
    later: dict[str, tuple[str, ...]] = {Split.TRAIN: (Split.VAL, Split.TEST), Split.VAL: (Split.TEST,)}
    texts_in: dict[str, set[str]] = defaultdict(set)
    for r in records:
        texts_in[r.split].add(r.text)
    kept = [r for r in records if not any(r.text in texts_in[s] for s in later.get(r.split, ()))]
    return kept, len(records) - len(kept)


def duplicate_stats(planned: Sequence[Planned]) -> dict[str, Any]:
    """Exact-duplicate texts: how many groups of copies, how many samples they hold, and how many groups
    cross splits (a copy in train of a test review inflates test; one in train of a val review, val)."""
    splits_of: dict[str, list[str]] = defaultdict(list)
    for p in planned:
        splits_of[p.record.text].append(p.split)
    return duplicate_summary([s for s in splits_of.values() if len(s) > 1])


def duplicate_summary(groups: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The dataset stats' duplicates entry from each group of copies' splits (the one shape both importers
    report, whether they found the copies by text or by a hash of it)."""
    pair_counts = Counter(f"{a}-{b}" for g in groups for a, b in _pairs(sorted(set(g))))
    return {
        "groups": len(groups),
        "samples": sum(len(g) for g in groups),
        "cross_split_groups": sum(1 for g in groups if len(set(g)) > 1),
        "cross_split_samples": sum(len(g) for g in groups if len(set(g)) > 1),
        "groups_by_split_pair": dict(sorted(pair_counts.items())),
    }


def _pairs(splits: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(splits) for b in splits[i + 1:]]
