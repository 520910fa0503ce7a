"""Word vectors fitted on the train split (worker/models/fitted_vectors.py): the counts, PPMI, the vectors,
and their one copy per dataset and width in the artifact store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.core.artifacts.keys import fitted_vectors_key
from backend.core.artifacts.store import LocalArtifactStore
from backend.core.text.token_store import TokenArrays
from worker.models.fitted_vectors import cooccurrence, dataset_vectors, fit_word_vectors, ppmi


def arrays(rows: list[list[int]]) -> TokenArrays:
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    flat = np.concatenate([np.asarray(r, dtype=np.int32) for r in rows]) if rows else np.zeros(0, np.int32)
    return TokenArrays(ids=flat, offsets=offsets)


def test_pairs_are_weighted_by_distance_within_a_review_only() -> None:
    data = arrays([[2, 3, 4], [5, 2], [1, 6, 1, 7]])
    c = cooccurrence(data, np.array([0, 1, 2]), 8).toarray()
    assert c[2, 3] == c[3, 2] == 1.0 and c[3, 4] == 1.0 and c[2, 4] == 0.5
    assert c[5, 2] == c[2, 5] == 1.0  # the second review's pair
    assert c[4, 5] == 0  # the end of one review and the start of the next are no pair
    assert c[:2].sum() == c[:, :2].sum() == 0  # [PAD] and [OOV] take no part...
    assert c[6, 7] == 0.5  # ... but still count in the distance (6 and 7 are 2 apart)
    assert c[3, 5] == c[4, 5] == c[4, 6] == 0  # no pair spans two reviews, at any distance
    np.testing.assert_array_equal(c, c.T)
    only_first = cooccurrence(data, np.array([0]), 8).toarray()
    assert only_first[5].sum() == 0  # rows not asked for are not read


def test_ppmi_keeps_the_pairs_that_meet_more_often_than_chance() -> None:
    data = arrays([[2, 3] * 20, [4, 5] * 20, [2, 4]])
    m = ppmi(cooccurrence(data, np.arange(3), 6)).toarray()
    assert m[2, 3] > 0 and m[4, 5] > 0
    assert m[2, 4] == 0  # met once against hundreds of 2-3 and 4-5 pairs: below chance, dropped
    assert (m >= 0).all()


def test_words_of_one_context_end_up_closer_than_words_of_another() -> None:
    rng = np.random.default_rng(0)
    # Words 2..6 appear beside 12..16, words 7..11 beside 17..21: two topics.
    rows = [list(rng.choice(np.r_[2:7, 12:17], 30)) for _ in range(200)] + \
           [list(rng.choice(np.r_[7:12, 17:22], 30)) for _ in range(200)]
    v = fit_word_vectors(arrays(rows), np.arange(len(rows)), 24, dim=4)
    assert v.shape == (24, 4) and v.dtype == np.float32
    assert (v[:2] == 0).all() and (v[22:] == 0).all()  # [PAD], [OOV] and words never seen stay zero
    assert v[2:22].std() == pytest.approx(1.0, rel=0.2)  # about nn.Embedding's scale
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    same, other = unit[2] @ unit[3], unit[2] @ unit[8]
    assert same > other + 0.5, (same, other)
    np.testing.assert_array_equal(v, fit_word_vectors(arrays(rows), np.arange(len(rows)), 24, dim=4))


def test_vectors_are_fitted_once_per_dataset_and_width(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    data = arrays([[2, 3, 4, 5, 6, 7] * 5 for _ in range(20)])
    first = dataset_vectors(store, 7, data, np.arange(20), 10, dim=3)
    assert store.exists(fitted_vectors_key(7, 3)) and not store.exists(fitted_vectors_key(7, 4))
    # What is stored is what every later model of the dataset starts from, whatever rows it is handed.
    again = dataset_vectors(store, 7, arrays([]), np.arange(0), 10, dim=3)
    np.testing.assert_array_equal(first, again)
