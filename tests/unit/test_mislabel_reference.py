"""The reference model: NBSVM and an NB-weighted TF-IDF logistic regression, averaged, whose out-of-sample opinion is
averaged with the version's fold models before confident learning (worker/mislabels/reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from worker.mislabels import reference
from worker.mislabels.metrics import auroc
from worker.mislabels.ranking import SplitInput, rank_split

POSITIVE = ["great", "wonderful", "moving", "superb", "loved"]
NEGATIVE = ["awful", "boring", "dreadful", "waste", "hated"]
FILLER = ["the", "film", "plot", "actor", "scene", "camera", "story", "music"]


def _reviews(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    texts = []
    for y in labels:
        cue = POSITIVE if y == 1 else NEGATIVE
        words = list(rng.choice(FILLER, size=12)) + list(rng.choice(cue, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words) + " <br /><br />")
    return texts, labels


def test_fits_on_the_given_rows_and_predicts_the_others() -> None:
    texts, labels = _reviews(400, seed=1)
    probs = reference.fit_predict(texts[:300], labels[:300], texts[300:], num_classes=2)
    assert probs.shape == (100, 2) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs.argmax(axis=1) == labels[300:]).mean() > 0.95

    by_rows = reference.predict_rows(texts, np.arange(300), labels, np.arange(300, 400), 2)
    assert np.allclose(by_rows, probs)


def test_it_stays_out_of_sample() -> None:
    """A review it never saw is judged by the words it shares with others, not by its own label: one
    mislabelled review with a unique word scores low on its given label when held out."""
    texts, labels = _reviews(300, seed=2)
    texts.append("zanzibar zanzibar great superb wonderful")
    labels = np.append(labels, 0)  # a clearly positive review, labelled negative
    held = np.array([len(texts) - 1])
    p = reference.predict_rows(texts, np.arange(len(texts) - 1), labels, held, 2)
    assert p[0, 0] < 0.2
    seen = reference.predict_rows(texts, np.arange(len(texts)), labels, held, 2)
    assert seen[0, 0] > p[0, 0]  # trained on its own (wrong) label, it believes it more


def test_degenerate_training_sets() -> None:
    only_negative = reference.fit_predict(["bad film", "awful plot"], np.array([0, 0]), ["a film"], 2)
    assert only_negative.tolist() == [[1.0, 0.0]]
    assert reference.fit_predict(["a", "b"], np.array([0, 1]), [], 2).shape == (0, 2)
    three = reference.fit_predict(["good good", "bad bad", "meh meh"] * 5, np.array([1, 0, 2] * 5),
                                  ["good", "meh"], 4)
    assert three.shape == (2, 4) and three[:, 3].tolist() == [0.0, 0.0]  # a class never seen: probability 0
    assert three[0].argmax() == 1 and three[1].argmax() == 2


def test_line_breaks_are_not_words() -> None:
    assert reference._clean("Fine.<br /><br />Really<BR/>fine") == "fine.  really fine"


def test_a_second_independent_opinion_improves_the_ranking() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    truth = rng.integers(0, 2, size=n)
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.choice(n, size=150, replace=False)] = True
    given = np.where(flipped, 1 - truth, truth)

    def model_probs(seed: int) -> np.ndarray:
        # ~85% right about the truth, with its own independent mistakes
        margin = np.random.default_rng(seed).normal(1.5, 1.6, size=n)
        p_pos = np.where(truth == 1, 1 / (1 + np.exp(-margin)), 1 / (1 + np.exp(margin)))
        return np.stack([1 - p_pos, p_pos], axis=1)

    version, ref = model_probs(10), model_probs(11)
    alone = rank_split(SplitInput(sample_ids=np.arange(n), labels=given, oos_probs=version, classes=["n", "p"]))
    both = rank_split(SplitInput(sample_ids=np.arange(n), labels=given, oos_probs=version, classes=["n", "p"],
                                 reference_probs=ref))
    assert auroc(both.score, flipped) > auroc(alone.score, flipped) + 0.01
    assert "reference_model" in both.signals and "reference_model" not in alone.signals
    assert "reference_model" not in both.weights  # shown, counted through confident learning only
    assert "reference model" in both.reasons[0] and "reference model" not in alone.reasons[0]
    # p_positive and loss stay the version's own view
    assert both.p_positive == pytest.approx(version[:, 1])


def test_the_members_judge_alone_and_the_reference_is_their_average() -> None:
    texts, labels = _reviews(400, seed=4)
    members = reference.fit_predict_members(texts[:300], labels[:300], texts[300:], 2)
    assert set(members) == {"nbsvm", "nb_tfidf"}
    for probs in members.values():
        assert probs.shape == (100, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
        assert (probs.argmax(axis=1) == labels[300:]).mean() > 0.95
    assert np.allclose(reference.fit_predict(texts[:300], labels[:300], texts[300:], 2),
                       (members["nbsvm"] + members["nb_tfidf"]) / 2, atol=1e-6)


def test_nb_ratios_point_to_the_class_a_feature_speaks_for() -> None:
    # features: [only in positives, only in negatives, everywhere]
    x = sparse.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]]))
    r = reference.nb_ratio(x, np.array([True, True, False, False]))
    assert r[0] > 0 > r[1] and r[2] == pytest.approx(0.0)


@pytest.mark.parametrize("member", sorted(reference.MEMBERS))
def test_each_member_is_one_vs_rest_beyond_two_classes(member: str) -> None:
    cues = {0: "dreadful", 1: "middling", 2: "superb"}
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, size=300)
    texts = [" ".join([*rng.choice(FILLER, size=8), cues[int(y)]]) for y in labels]
    vectorizer, counts = reference.fit_counts(texts[:240])
    probs = reference.MEMBERS[member](counts, labels[:240], 4)(vectorizer.transform(texts[240:]))
    assert probs.shape == (60, 4) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs[:, 3] == 0).all()  # never seen
    assert (probs.argmax(axis=1) == labels[240:]).mean() > 0.95


def test_beyond_the_exact_vocabulary_size_ngrams_are_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    """At scale no vocabulary is built (it would hold every distinct trigram of a million reviews): the
    same fit on hashed n-grams judges as well on reviews it never saw."""
    texts, labels = _reviews(400, seed=6)
    exact, _ = reference.fit_counts(texts[:300])
    assert hasattr(exact, "vocabulary_")
    monkeypatch.setattr(reference, "EXACT_VOCABULARY_ROWS", 299)
    hashed, counts = reference.fit_counts(texts[:300])
    assert not hasattr(hashed, "vocabulary_") and counts.shape == (300, reference.HASHED_FEATURES)
    probs = reference.fit_predict(texts[:300], labels[:300], texts[300:], 2)
    assert probs.shape == (100, 2) and (probs.argmax(axis=1) == labels[300:]).mean() > 0.95


def test_predictions_in_chunks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, labels = _reviews(400, seed=7)
    whole = reference.fit_predict_members(texts[:300], labels[:300], texts[300:], 2)
    monkeypatch.setattr(reference, "PREDICT_CHUNK", 7)  # 100 rows: 14 full chunks and a short last one
    chunked = reference.fit_predict_members(texts[:300], labels[:300], texts[300:], 2)
    for k in whole:
        assert np.array_equal(whole[k], chunked[k])


def test_a_large_training_set_is_sampled_per_class() -> None:
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    rows = np.arange(1000, dtype=np.int64)[::-1]  # any order in, row order out
    picked = reference.fit_rows(rows, labels, max_rows=100)
    assert len(picked) == 100 and (np.diff(picked) > 0).all()
    assert np.bincount(labels[picked]).tolist() == [90, 9, 1]  # each class keeps its share
    assert np.array_equal(picked, reference.fit_rows(rows, labels, max_rows=100))  # seeded
    assert np.array_equal(reference.fit_rows(rows, labels, max_rows=1000), rows)  # small enough: all, as given


def test_nb_weighting_scales_the_tfidf_features_by_the_ratios() -> None:
    """The NB-TF-IDF member is a logistic regression on TF-IDF features scaled by the log-count ratios: a word
    seen in both classes alike (ratio 0) carries no weight at all, a word of one class decides."""
    texts = ["superb film"] * 20 + ["awful film"] * 20
    labels = np.array([1] * 20 + [0] * 20)
    vectorizer, counts = reference.fit_counts(texts)
    p_neutral = reference.nb_tfidf_fit(counts, labels, 2)(vectorizer.transform(["film"]))
    assert p_neutral[0, 1] == pytest.approx(0.5, abs=1e-6)
    p_cue = reference.nb_tfidf_fit(counts, labels, 2)(vectorizer.transform(["superb"]))
    assert p_cue[0, 1] > 0.8


def test_feature_matrices_share_the_counts_index_arrays() -> None:
    """At scale every copy of the n-gram indices is half a gigabyte: the binary and the scaled matrices reuse
    the counts' index arrays, hashed float32 counts stay float32, and the values are what multiply() gives."""
    texts, labels = _reviews(200, seed=8)
    for exact in (True, False):
        _, counts = reference.fit_counts(texts)
        if not exact:
            counts = counts.astype(np.float32)
        binary = reference._binary(counts)
        r = reference.nb_ratio(binary, labels == 1)
        scaled = reference._scaled(binary, r)
        assert np.shares_memory(binary.indices, counts.indices) and np.shares_memory(scaled.indices, counts.indices)
        assert scaled.dtype == (np.float64 if exact else np.float32)
        assert np.allclose(scaled.toarray(), binary.multiply(r).toarray(), atol=1e-6)
        assert set(np.unique(binary.data)) == {1}
