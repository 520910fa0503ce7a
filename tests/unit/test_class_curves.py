"""ROC / PR curves and their areas (backend.api.services.class_curves) against scikit-learn's, and the
category columns of metadata (backend.core.sample_metadata)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from backend.api.services.class_curves import class_curve, macro_average, one_vs_rest
from backend.core.sample_metadata import MAX_CATEGORIES, categories


def three_class_probs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0..2 and softmax probabilities that favour the label, rounded so that scores tie."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return labels, np.round(probs, 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_curve_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 500)
    scores = np.round(np.clip(0.3 * labels + rng.normal(0.35, 0.25, 500), 0, 1), 1)  # few distinct: many ties
    curve = class_curve(labels == 1, scores)
    assert curve.roc_auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert curve.average_precision == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(curve.fpr, fpr)
    np.testing.assert_allclose(curve.tpr, tpr)
    assert (curve.positives, curve.negatives) == (int(labels.sum()), int(500 - labels.sum()))
    # The drawn curve runs from (0, 0) to (1, 1); precision-recall starts at recall 0, precision 1.
    assert (curve.roc.x[0], curve.roc.y[0], curve.roc.x[-1], curve.roc.y[-1]) == (0, 0, 1, 1)
    assert (curve.pr.x[0], curve.pr.y[0], curve.pr.x[-1]) == (0, 1, 1)


def test_one_vs_rest_and_macro_match_sklearn() -> None:
    labels, probs = three_class_probs(900, seed=4)
    curves = one_vs_rest(labels, probs)
    for c, curve in enumerate(curves):
        assert curve.roc_auc == pytest.approx(roc_auc_score(labels == c, probs[:, c]), abs=1e-12)
        assert curve.average_precision == pytest.approx(average_precision_score(labels == c, probs[:, c]), abs=1e-12)
    macro = macro_average(curves)
    # scikit-learn's multi-class ROC AUC wants rows summing to one; rounding moved them a little.
    exact = probs / probs.sum(1, keepdims=True)
    assert macro_average(one_vs_rest(labels, exact)).roc_auc == pytest.approx(
        roc_auc_score(labels, exact, multi_class="ovr", average="macro"), abs=1e-12)
    assert macro.average_precision == pytest.approx(
        np.mean([average_precision_score(labels == c, probs[:, c]) for c in range(3)]), abs=1e-12)
    assert macro.classes_averaged == 3
    # The mean curve is monotone, from (0, ~0) to (1, 1), and its area is close to the mean AUC.
    assert macro.roc.x[0] == 0 and macro.roc.x[-1] == 1 and macro.roc.y[-1] == pytest.approx(1)
    assert all(b >= a for a, b in zip(macro.roc.y, macro.roc.y[1:], strict=False))
    assert np.trapezoid(macro.roc.y, macro.roc.x) == pytest.approx(macro.roc_auc, abs=0.01)


def test_long_curves_are_thinned_for_drawing_but_measured_in_full() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 20_000)
    scores = rng.random(20_000) + 0.2 * labels
    curve = class_curve(labels == 1, scores, max_points=300)
    assert len(curve.fpr) == 20_001
    assert len(curve.roc.x) == 300 and len(curve.pr.x) == 300
    assert (curve.roc.x[0], curve.roc.x[-1]) == (0, 1)
    assert curve.roc_auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_a_class_missing_from_the_split_has_no_areas_and_stays_out_of_the_macro() -> None:
    labels = np.array([0, 0, 1, 1, 0, 1])
    probs = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.7, 0.1], [0.4, 0.5, 0.1], [0.6, 0.1, 0.3],
                      [0.1, 0.8, 0.1]])
    curves = one_vs_rest(labels, probs)
    assert curves[2].positives == 0 and curves[2].roc_auc is None and curves[2].average_precision is None
    macro = macro_average(curves)
    assert macro.classes_averaged == 2
    assert macro.roc_auc == pytest.approx(np.mean([curves[0].roc_auc, curves[1].roc_auc]))
    only_positives = class_curve(np.ones(4, dtype=bool), np.array([0.1, 0.2, 0.3, 0.4]))
    assert only_positives.roc_auc is None and only_positives.average_precision == 1.0
    empty = class_curve(np.zeros(0, dtype=bool), np.zeros(0))
    assert empty.roc_auc is None and empty.average_precision is None and empty.roc.x == [0.0]
    assert macro_average([empty]).roc_auc is None and macro_average([empty]).roc.x == []


def test_categories_keep_the_most_frequent_values_and_code_the_rest_as_missing() -> None:
    column = categories(["wire", "blog", None, "wire", "blog", "wire", "zine"])
    assert column.values == ["wire", "blog", "zine"] and column.distinct == 3
    assert column.codes.tolist() == [0, 1, -1, 0, 1, 0, 2]
    # A free-text column: only the commonest MAX_CATEGORIES values keep a code (ties alphabetical).
    words = [f"id{i:03d}" for i in range(100)] + ["common"] * 5
    wide = categories(words)
    assert wide.distinct == 101 and len(wide.values) == MAX_CATEGORIES
    assert wide.values[:3] == ["common", "id000", "id001"]
    assert (wide.codes == -1).sum() == 100 - (MAX_CATEGORIES - 1)
