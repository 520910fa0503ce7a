"""Ranked, explained findings about a population map.

Each insight names the samples behind it and says in one sentence why it matters. Scores are on a
0..1 scale within a kind and chosen so that the order across kinds reads sensibly: leakage first,
then the share of the model's errors a finding explains.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.core.population import Population
from backend.core.text.token_store import TokenArrays
from backend.core.vocabulary import SPLITS, Split
from worker.pipeline.clusters import ClusterStats
from worker.pipeline.neighbors import KnnGraph

MAX_SAMPLE_IDS = 500
TextLookup = Callable[[list[int]], dict[int, str]]  # sample ids -> full review text


@dataclass
class Insight:
    kind: str
    score: float
    title: str
    sentence: str
    sample_ids: list[int]
    count: int
    cluster: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# -- weak spots ------------------------------------------------------------------------------------
def _expected_by_split(values: npt.NDArray[np.float64], pop: Population,
                       rows: npt.NDArray[np.int64]) -> float:
    """What `values` would average over `rows` if each row scored like its split does overall: train rows
    are memorised (near 100%), so a cluster heavy in test looks weak from its make-up alone unless it is
    compared with the same mix of splits."""
    codes = pop.splits[rows]
    per_split = np.zeros(int(pop.splits.max(initial=0)) + 1)
    for code in np.unique(pop.splits):
        per_split[code] = values[pop.splits == code].mean()
    return float(per_split[codes].mean())


def weak_clusters(
    stats: list[ClusterStats], cluster_of: npt.NDArray[np.int16], pop: Population, min_share: float = 0.005
) -> list[Insight]:
    """Clusters whose accuracy is clearly below what the same mix of splits gets overall, or whose mean loss
    is clearly above it (like with like: see _expected_by_split)."""
    n = len(pop)
    correct = pop.correct.astype(np.float64)
    loss = pop.loss.astype(np.float64)
    overall_acc = float(correct.mean())
    overall_loss = float(loss.mean())
    errors = max(1, int((~pop.correct).sum()))
    out: list[Insight] = []
    for s in stats:
        if s.size < max(5, min_share * n):
            continue
        rows = np.flatnonzero(cluster_of == s.cluster)
        expected_acc = _expected_by_split(correct, pop, rows)
        expected_loss = _expected_by_split(loss, pop, rows)
        worse_acc = s.accuracy <= expected_acc - 0.05 and (1 - s.accuracy) >= 1.5 * (1 - expected_acc)
        worse_loss = s.mean_loss >= 1.5 * expected_loss and s.mean_loss - expected_loss >= 0.05
        if not (worse_acc or worse_loss):
            continue
        cluster_errors = round(s.size * (1 - s.accuracy))
        excess = max(0.0, s.size * ((1 - s.accuracy) - (1 - expected_acc)))
        rows = rows[np.argsort(-pop.loss[rows], kind="stable")]
        out.append(
            Insight(
                kind="weak_cluster",
                score=min(1.0, 0.2 + excess / errors),
                cluster=s.cluster,
                title=f"Weak spot: cluster {s.cluster}",
                sentence=(
                    f"Cluster {s.cluster} ({s.size} samples) has accuracy {_pct(s.accuracy)} against "
                    f"{_pct(expected_acc)} for the same mix of splits overall, and a mean loss of "
                    f"{s.mean_loss:.2f} against {expected_loss:.2f}; it holds {_pct(cluster_errors / errors)} "
                    f"of all errors."
                ),
                sample_ids=[int(i) for i in pop.sample_ids[rows[:MAX_SAMPLE_IDS]]],
                count=s.size,
                detail={
                    "accuracy": s.accuracy,
                    "mean_loss": s.mean_loss,
                    "expected_accuracy": expected_acc,
                    "expected_loss": expected_loss,
                    "overall_accuracy": overall_acc,
                    "overall_loss": overall_loss,
                    "errors": cluster_errors,
                    "split_mix": s.split_mix,
                },
            )
        )
    return out


# -- mislabel candidates ---------------------------------------------------------------------------
def mislabel_candidates(
    pop: Population, disagreement: npt.NDArray[np.float32], min_disagreement: float = 0.5
) -> Insight | None:
    """Samples whose label disagrees with the majority of their latent neighbours AND whose loss is
    high (the model, too, sides with the neighbours). Ranked by disagreement * loss."""
    high_loss = max(float(np.log(2.0)), float(np.median(pop.loss)))
    mask = (disagreement > min_disagreement) & (pop.loss >= high_loss)
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return None
    rank = disagreement[rows] * pop.loss[rows]
    rows = rows[np.argsort(-rank, kind="stable")]
    errors = max(1, int((~pop.correct).sum()))
    by_split = pop.split_mix(rows)
    return Insight(
        kind="mislabel_candidates",
        score=min(1.0, 0.3 + len(rows) / errors),
        title=f"{len(rows)} possible label errors",
        sentence=(
            f"{len(rows)} samples carry a label that most of their nearest neighbours in the latent "
            f"space do not share, and the model disagrees with it too (loss ≥ {high_loss:.2f}); "
            f"they may be mislabelled ({', '.join(f'{v} {k}' for k, v in by_split.items() if v)})."
        ),
        sample_ids=[int(i) for i in pop.sample_ids[rows[:MAX_SAMPLE_IDS]]],
        count=len(rows),
        detail={
            "min_disagreement": min_disagreement,
            "min_loss": high_loss,
            "split_mix": by_split,
            "disagreement": [round(float(disagreement[r]), 3) for r in rows[:MAX_SAMPLE_IDS]],
        },
    )


# -- near duplicates -------------------------------------------------------------------------------
def _token_shingles(arrays: TokenArrays, row: int) -> npt.NDArray[np.int64]:
    ids = arrays.row(row).astype(np.int64)
    if len(ids) < 3:
        return np.unique(ids)
    return np.unique(ids[:-2] * 1_000_003**2 + ids[1:-1] * 1_000_003 + ids[2:])


def _jaccard(a: npt.NDArray[np.int64] | set[str], b: npt.NDArray[np.int64] | set[str]) -> float:
    if isinstance(a, set) and isinstance(b, set):
        union = len(a | b)
        return len(a & b) / union if union else 1.0
    assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


_WORD = re.compile(r"[a-z0-9']+")


def _text_shingles(text: str) -> set[str]:
    words = _WORD.findall(text.replace("<br />", " ").lower())
    if len(words) < 3:
        return set(words)
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def duplicate_pairs(
    arrays: TokenArrays,
    graph: KnnGraph,
    texts: TextLookup | None,
    sample_ids: npt.NDArray[np.int64],
    min_similarity: float = 0.8,
    max_candidates: int = 20_000,
) -> list[tuple[int, int, float]]:
    """Pairs of rows (i < j) that are near-duplicates, with their similarity.

    Candidates: identical token sequences (hashing), and latent neighbours that are unusually close.
    Both are confirmed on token 3-gram Jaccard and then on the full texts' word 3-gram Jaccard, because
    token rows are cut at max length and map rare words to [OOV].
    """
    n = len(arrays)
    candidates: set[tuple[int, int]] = set()
    first_of: dict[bytes, int] = {}
    for r in range(n):
        row = arrays.row(r)
        if len(row) == 0:
            continue
        h = hashlib.blake2b(row.tobytes(), digest_size=16).digest()
        if h in first_of:
            candidates.add((first_of[h], r))
        else:
            first_of[h] = r
    idx, dist = graph.neighbors()
    if idx.shape[1]:
        nearest = dist[:, 0]
        threshold = max(float(np.quantile(nearest, 0.02)), 0.25 * float(np.median(nearest)))
        cols = min(5, idx.shape[1])
        ii, jj = np.nonzero(dist[:, :cols] <= threshold)
        order = np.argsort(dist[ii, jj], kind="stable")[:max_candidates]
        for i, j in zip(ii[order], idx[ii[order], jj[order]], strict=True):
            a, b = int(i), int(j)
            if a != b:
                candidates.add((min(a, b), max(a, b)))
    shingles: dict[int, npt.NDArray[np.int64]] = {}

    def sh(r: int) -> npt.NDArray[np.int64]:
        if r not in shingles:
            shingles[r] = _token_shingles(arrays, r)
        return shingles[r]

    token_pairs = [(a, b, _jaccard(sh(a), sh(b))) for a, b in sorted(candidates)]
    token_pairs = [p for p in token_pairs if p[2] >= min_similarity]
    if texts is None or not token_pairs:
        return token_pairs
    rows = sorted({r for a, b, _ in token_pairs for r in (a, b)})
    by_id = texts([int(sample_ids[r]) for r in rows])
    text_sets = {r: _text_shingles(by_id.get(int(sample_ids[r]), "")) for r in rows}
    confirmed = [(a, b, _jaccard(text_sets[a], text_sets[b])) for a, b, _ in token_pairs]
    return [p for p in confirmed if p[2] >= min_similarity]


def _groups(pairs: Iterable[tuple[int, int, float]]) -> list[list[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))


def duplicate_insights(pairs: list[tuple[int, int, float]], pop: Population) -> list[Insight]:
    groups = _groups(pairs)
    cross = [g for g in groups if len({int(pop.splits[r]) for r in g}) > 1]
    within = [g for g in groups if len({int(pop.splits[r]) for r in g}) == 1]
    out: list[Insight] = []
    train, test = SPLITS.index(Split.TRAIN), SPLITS.index(Split.TEST)

    def ids(gs: list[list[int]]) -> list[int]:
        return [int(pop.sample_ids[r]) for g in gs for r in g][:MAX_SAMPLE_IDS]

    def listing(gs: list[list[int]]) -> list[list[int]]:
        return [[int(pop.sample_ids[r]) for r in g] for g in gs[:200]]

    if cross:
        leaking = sum(1 for g in cross if {train, test} <= {int(pop.splits[r]) for r in g})
        samples = sum(len(g) for g in cross)
        out.append(
            Insight(
                kind="duplicates_across_splits",
                score=min(1.0, 0.9 + samples / max(1, len(pop))),
                title=f"{len(cross)} near-duplicate groups cross splits",
                sentence=(
                    f"{len(cross)} groups of near-identical reviews ({samples} samples) appear in more than "
                    f"one split, {leaking} of them in both train and test: evaluation on those samples "
                    f"measures memory, not generalisation (leakage)."
                ),
                sample_ids=ids(cross),
                count=samples,
                detail={"groups": listing(cross), "train_test_groups": leaking},
            )
        )
    if within:
        samples = sum(len(g) for g in within)
        out.append(
            Insight(
                kind="duplicates",
                score=min(1.0, 0.3 + samples / max(1, len(pop))),
                title=f"{len(within)} near-duplicate groups",
                sentence=(
                    f"{len(within)} groups of near-identical reviews ({samples} samples) within one split: "
                    f"duplicates weigh those reviews more than others in training and metrics."
                ),
                sample_ids=ids(within),
                count=samples,
                detail={"groups": listing(within)},
            )
        )
    return out


# -- clusters dominated by one split ---------------------------------------------------------------
def split_clusters(
    stats: list[ClusterStats],
    cluster_of: npt.NDArray[np.int16],
    pop: Population,
    min_fraction: float = 0.8,
    min_excess: float = 0.3,
    min_share: float = 0.005,
) -> list[Insight]:
    n = len(pop)
    overall = pop.split_mix()
    out: list[Insight] = []
    for s in stats:
        if s.size < max(5, min_share * n):
            continue
        for split, count in s.split_mix.items():
            frac, base = count / s.size, overall[split] / n
            if frac >= min_fraction and frac - base >= min_excess:
                rows = np.flatnonzero(cluster_of == s.cluster)
                out.append(
                    Insight(
                        kind="split_cluster",
                        score=min(1.0, (frac - base) * min(1.0, 20 * s.size / n)),
                        cluster=s.cluster,
                        title=f"Cluster {s.cluster} is {_pct(frac)} {split}",
                        sentence=(
                            f"Cluster {s.cluster} ({s.size} samples) is {_pct(frac)} {split} while "
                            f"{split} is {_pct(base)} of the data: the model sees these reviews as a "
                            f"population of their own, which the other splits barely cover."
                        ),
                        sample_ids=[int(i) for i in pop.sample_ids[rows[:MAX_SAMPLE_IDS]]],
                        count=s.size,
                        detail={
                            "split": split,
                            "fraction": frac,
                            "overall_fraction": base,
                            "split_mix": s.split_mix,
                        },
                    )
                )
    return out


def rank_insights(insights: Iterable[Insight | None]) -> list[Insight]:
    return sorted((i for i in insights if i is not None), key=lambda i: (-i.score, i.kind, i.cluster or 0))
