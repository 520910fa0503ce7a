from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.core.specs.analysis_methods import METHODS
from backend.core.specs.architectures import CnnParams, NgramParams
from tests.support.tiny_models import KeywordModel, tiny_tokenizer
from worker.attribution.analyze import analyze_text
from worker.attribution.forward import predict_ids
from worker.models.cnn import TextCNN
from worker.models.ngram import NgramBag

CLASSES = ["neg", "pos"]


@pytest.fixture(autouse=True)
def _threads() -> None:
    torch.set_num_threads(1)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_ranks_the_deciding_word_first(method: str) -> None:
    tok = tiny_tokenizer()
    model = KeywordModel(tok.vocab_size, tok.token_id("excellent") or -1)
    text = "The acting was fun, the plot EXCELLENT at night; a long scene."
    res = analyze_text(model, tok, text, method, {}, CLASSES)
    assert res.prediction == 1 and res.probabilities[1] > 0.9
    scored = [t for t in res.tokens if t.attribution is not None]
    toward_pos = np.array([t.attribution[1] for t in scored])  # type: ignore[index]
    top = scored[int(np.argmax(toward_pos))]
    assert top.text == "EXCELLENT" and top.token == "excellent"
    # Both classes are covered; the keyword pushes toward negative least (or, unsigned, as much).
    toward_neg = np.array([t.attribution[0] for t in scored])  # type: ignore[index]
    if not (method == "saliency" and res.params["abs"]):
        assert scored[int(np.argmin(toward_neg))].token == "excellent"
    # A faithful ranking: removing the top word flips the prediction, random removal rarely does.
    assert res.faithfulness.comprehensiveness > res.faithfulness.random_comprehensiveness
    assert res.faithfulness.sufficiency < res.faithfulness.random_sufficiency


def _cnn(vocab_size: int, seed: int = 0) -> TextCNN:
    torch.manual_seed(seed)
    params = CnnParams(embedding_dim=16, num_filters=8, kernel_sizes=[2, 3], dense_units=8)
    model = TextCNN(vocab_size, 2, params)
    return model.eval()


def test_integrated_gradients_completeness() -> None:
    tok = tiny_tokenizer()
    model = _cnn(tok.vocab_size)
    text = "the movie was excellent and the acting was fun , a story about a city"
    res = analyze_text(model, tok, text, "integrated_gradients", {"delta_tolerance": 0.002}, CLASSES)
    ids = tok.encode(text).model_ids
    p_x, p_base = predict_ids(model, [ids, [0] * len(ids)])[:, 1]
    total = sum(t.attribution[1] for t in res.tokens if t.attribution is not None)
    assert abs(total - (p_x - p_base)) < 0.005
    assert res.convergence_delta is not None and abs(res.convergence_delta) <= 0.002
    # Class 0 is the exact mirror (p0 = 1 - p1).
    assert all(t.attribution[0] == pytest.approx(-t.attribution[1]) for t in res.tokens if t.attribution)


def test_integrated_gradients_raises_steps_when_delta_is_large() -> None:
    tok = tiny_tokenizer()
    model = _cnn(tok.vocab_size, seed=3)
    text = "the movie was excellent and the acting was fun"
    res = analyze_text(model, tok, text, "integrated_gradients",
                       {"n_steps": 2, "delta_tolerance": 1e-4, "max_steps": 64}, CLASSES)
    assert res.n_steps is not None and res.n_steps > 2
    coarse = analyze_text(model, tok, text, "integrated_gradients",
                          {"n_steps": 2, "delta_tolerance": 1.0, "max_steps": 64}, CLASSES)
    assert coarse.n_steps == 2
    assert abs(res.convergence_delta or 0) <= abs(coarse.convergence_delta or 0)


def test_results_are_deterministic() -> None:
    tok = tiny_tokenizer()
    model = _cnn(tok.vocab_size)
    text = "a plot with actors and a story about a city at night"
    for method in ("gradient_shap", "lime", "kernel_shap"):
        a = analyze_text(model, tok, text, method, {}, CLASSES)
        b = analyze_text(model, tok, text, method, {}, CLASSES)
        assert [t.attribution for t in a.tokens] == [t.attribution for t in b.tokens]


def test_integrated_gradients_warns_when_it_stops_at_max_steps_unconverged() -> None:
    """Hitting max_steps with the gap above tolerance is said, not returned silently as exact scores."""
    tok = tiny_tokenizer()
    model = _cnn(tok.vocab_size, seed=3)
    text = "the movie was excellent and the acting was fun"
    res = analyze_text(model, tok, text, "integrated_gradients",
                       {"n_steps": 2, "delta_tolerance": 1e-9, "max_steps": 2}, CLASSES)
    assert res.n_steps == 2 and abs(res.convergence_delta or 0) > 1e-9
    assert res.extras["converged"] is False and "did not converge" in res.extras["warning"]
    fine = analyze_text(model, tok, text, "integrated_gradients", {"delta_tolerance": 1.0}, CLASSES)
    assert fine.extras["converged"] is True and "warning" not in fine.extras


def test_ngram_scores_split_into_word_and_bigram() -> None:
    """The n-gram model's credit per position is its word's plus the pair it closes, reported apart."""
    tok = tiny_tokenizer()
    torch.manual_seed(0)
    model = NgramBag(tok.vocab_size, 2, NgramParams(embedding_dim=8, bigram_buckets=97)).eval()
    text = "the movie was excellent and the acting was fun"
    res = analyze_text(model, tok, text, "integrated_gradients", {"delta_tolerance": 0.01}, CLASSES)
    words, pairs = np.array(res.extras["word_scores"]), np.array(res.extras["bigram_scores"])
    scored = np.array([t.attribution for t in res.tokens if t.attribution is not None]).T  # (C, T)
    np.testing.assert_allclose(words + pairs, scored, atol=1e-6)
    assert pairs[1, 0] == 0.0 and np.abs(pairs[1, 1:]).sum() > 0  # the first word closes no pair
