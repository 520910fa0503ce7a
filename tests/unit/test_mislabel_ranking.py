"""The ranking math on seeded synthetic probabilities: folds, ranks, signals, combination, metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from worker.mislabels.combine import percentile_rank, rank_average
from worker.mislabels.folds import assign_folds, fold_rows
from worker.mislabels.metrics import auroc, precision_recall_at_k
from worker.mislabels.ranking import SplitInput, rank_split
from worker.mislabels.signals import confident_learning, dynamics_from_p_positive


def test_folds_partition_train_exactly_and_stratify() -> None:
    labels = np.random.default_rng(0).integers(0, 2, size=1003)
    fold = assign_folds(labels, 5, seed=3)
    assert fold.shape == labels.shape and set(fold.tolist()) == {0, 1, 2, 3, 4}
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 1
    for cls in (0, 1):
        per = np.bincount(fold[labels == cls], minlength=5)
        assert per.max() - per.min() <= 1
    held = [fold_rows(fold, f)[1] for f in range(5)]
    assert np.array_equal(np.sort(np.concatenate(held)), np.arange(len(labels)))  # each row exactly once
    for f in range(5):
        train, test = fold_rows(fold, f)
        assert not np.intersect1d(train, test).size and len(train) + len(test) == len(labels)
    assert np.array_equal(fold, assign_folds(labels, 5, seed=3))
    assert not np.array_equal(fold, assign_folds(labels, 5, seed=4))
    with pytest.raises(ValueError):
        assign_folds(labels[:3], 5, seed=0)


def test_percentile_rank_and_auroc() -> None:
    assert percentile_rank(np.array([3.0, 1.0, 2.0, 2.0])).tolist() == [1.0, 0.0, 0.5, 0.5]
    rng = np.random.default_rng(1)
    y = rng.random(500) < 0.1
    s = rng.normal(size=500) + y * 1.5
    s[:50] = np.round(s[:50])  # some ties
    assert auroc(s, y) == pytest.approx(roc_auc_score(y, s))
    p, r = precision_recall_at_k(np.array([0.9, 0.8, 0.1, 0.7]), np.array([True, False, False, True]), 2)
    assert (p, r) == (0.5, 0.5)
    signals = {"a": np.array([1.0, 2.0, 3.0]), "b": None, "c": np.array([3.0, 2.0, 1.0])}
    score, weights = rank_average(signals, {"a": 3.0, "c": 1.0})
    assert weights == {"a": 0.75, "c": 0.25}
    assert score.tolist() == [0.25, 0.5, 0.75]


def _simulated(n: int, flip_rate: float, seed: int, epochs: int = 4) -> tuple[SplitInput, np.ndarray]:
    """A model that is ~85% right about the TRUE label, a given label with planted flips, and training
    dynamics in which the flipped samples are learnt (memorised) late."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, size=n)
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.choice(n, size=int(n * flip_rate), replace=False)] = True
    given = np.where(flipped, 1 - truth, truth)
    margin = rng.normal(1.6, 1.5, size=n)  # logit of the true class
    p_true = 1 / (1 + np.exp(-margin))
    p_pos = np.where(truth == 1, p_true, 1 - p_true)
    oos = np.stack([1 - p_pos, p_pos], axis=1)
    p_given = np.where(flipped, 1 - p_true, p_true)
    by_epoch = []
    for e in range(1, epochs + 1):
        # Clean samples approach 1 quickly; flipped ones are memorised slowly.
        speed = np.where(flipped, 0.12, 0.35) * e
        p = np.clip(p_given + (1 - p_given) * speed + rng.normal(0, 0.05, n), 0.001, 0.999)
        by_epoch.append(np.where(given == 1, p, 1 - p))
    inp = SplitInput(sample_ids=np.arange(100, 100 + n), labels=given, oos_probs=oos,
                     classes=["neg", "pos"],
                     probs_by_epoch=np.stack([np.stack([1 - q, q], axis=1) for q in by_epoch]))
    return inp, flipped


def test_planted_flips_rank_at_the_top() -> None:
    inp, flipped = _simulated(2000, 0.05, seed=7)
    ranked = rank_split(inp)
    k = int(flipped.sum())
    top = ranked.order[: 2 * k]
    assert flipped[top].sum() >= 0.7 * k, "most planted flips must be in the top 2 x flipped"
    assert auroc(ranked.score, flipped) > 0.9
    # The default ranks by confident learning; the dynamics are evidence (stored and in the reason), not
    # part of the score: the default can never be worse than its strongest signal.
    cl_only = ranked.signals["confident_learning"]
    assert cl_only is not None and auroc(ranked.score, flipped) == pytest.approx(auroc(cl_only, flipped))
    assert set(ranked.weights) == {"confident_learning"} and ranked.signals["dynamics"] is not None
    first = int(ranked.order[0])
    assert "out-of-sample" in ranked.reasons[first] and "during training" in ranked.reasons[first]
    assert ranked.loss[first] == pytest.approx(-np.log(inp.oos_probs[first, inp.labels[first]]))
    assert np.all((ranked.score >= 0) & (ranked.score <= 1))


def test_cleanlab_signal_and_dynamics() -> None:
    labels = np.array([0, 0, 1, 1] * 25)
    probs = np.where(labels[:, None] == np.array([0, 1]), 0.9, 0.1).astype(float)
    probs[[0, 2]] = probs[[0, 2]][:, ::-1]  # two confidently contradicted labels
    suspicion, issues = confident_learning(labels, probs)
    assert suspicion[0] == pytest.approx(0.9) and suspicion[1] == pytest.approx(0.1)
    assert issues[0] and issues[2] and issues.sum() == 2
    dyn = dynamics_from_p_positive(np.array([1, 0]), np.array([[0.2, 0.3], [0.6, 0.1], [0.9, 0.2]]))
    assert dyn.confidence.tolist() == pytest.approx([(0.2 + 0.6 + 0.9) / 3, (0.7 + 0.9 + 0.8) / 3])
    assert dyn.aum[0] == pytest.approx(2 * dyn.confidence[0] - 1)
    assert dyn.suspicion[0] > dyn.suspicion[1]


def test_neighbourhood_signal_is_optional_evidence_by_default_and_counts_when_weighted() -> None:
    inp, flipped = _simulated(1000, 0.05, seed=2)
    rng = np.random.default_rng(5)
    disagreement = np.clip(np.where(flipped, 0.8, 0.2) + rng.normal(0, 0.1, 1000), 0, 1)
    with_map = rank_split(SplitInput(**{**inp.__dict__, "neighbour_disagreement": disagreement}))
    assert "neighbourhood" not in with_map.weights and "latent neighbours" in with_map.reasons[0]
    assert with_map.signals["neighbourhood"] is not None
    np.testing.assert_allclose(with_map.score, rank_split(inp).score)
    weighted = rank_split(SplitInput(**{**inp.__dict__, "neighbour_disagreement": disagreement}),
                          {"confident_learning": 2.0, "neighbourhood": 1.0})
    assert "neighbourhood" in weighted.weights
    assert auroc(weighted.score, flipped) >= auroc(rank_split(inp).score, flipped)
    with pytest.raises(ValueError):
        rank_split(SplitInput(**{**inp.__dict__, "neighbour_disagreement": disagreement[:10]}))


def test_multi_class_suggests_the_most_likely_other_class() -> None:
    """Confident learning on all classes' probabilities: a sample labelled 0 that the models give to class 2
    ranks first, and its suggestion is class 2 (not merely "not 0")."""
    rng = np.random.default_rng(3)
    n, c = 300, 4
    labels = rng.integers(0, c, size=n)
    probs = np.full((n, c), 0.05)
    probs[np.arange(n), labels] = 0.85
    probs[0] = [0.05, 0.1, 0.8, 0.05]
    labels[0] = 0
    ranked = rank_split(SplitInput(sample_ids=np.arange(n), labels=labels, oos_probs=probs,
                                   classes=["a", "b", "c", "d"]))
    assert int(ranked.order[0]) == 0
    assert ranked.suggested[0] == 2 and ranked.p_suggested[0] == pytest.approx(0.8)
    assert "labelled a but the out-of-sample model says c" in ranked.reasons[0]
    assert all(ranked.suggested[i] != labels[i] for i in range(n))
