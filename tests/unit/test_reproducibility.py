from __future__ import annotations

import numpy as np

from backend.core.text.token_store import TokenArrays
from backend.core.text.tokenizer import TextTokenizer
from tests.support.datasets import synthetic_reviews
from worker.models.registry import build_model
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.evaluate import evaluate
from worker.pipeline.seeding import capture_rng, restore_rng, seed_everything
from worker.pipeline.train import BatchStats, make_optimizer, train_one_epoch

HP = {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2, 3], "dense_units": 8, "batch_size": 16,
      "dropout": 0.1, "embedding_dropout": 0.0}


def _arrays(n: int = 160) -> tuple[TokenArrays, np.ndarray]:
    reviews = synthetic_reviews(n, seed=1)
    tok = TextTokenizer.fit(reviews.texts, vocab_size=200, max_length=64)
    encoded = tok.encode_batch(reviews.texts)
    lengths = np.array([len(e.model_ids) for e in encoded])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = np.array([i for e in encoded for i in e.model_ids], dtype=np.int32)
    return TokenArrays(ids=ids, offsets=offsets), np.array(reviews.labels, dtype=np.int64)


def _run_epochs(arrays: TokenArrays, labels: np.ndarray, epochs: int, seed: int) -> list[float]:
    rng = seed_everything(seed)
    model = build_model("cnn", HP, vocab_size=200, num_classes=2)
    opt = make_optimizer(model, "adam", 1e-2, 0.0)
    losses: list[float] = []
    for _ in range(epochs):
        batches = bucketed_batches(arrays.lengths, np.arange(len(arrays)), 16, 3, rng)
        train_one_epoch(model, opt, arrays, batches, labels, __import__("torch").device("cpu"),
                        lambda s: losses.append(s.loss))
    return losses


def test_two_seeded_runs_give_identical_losses() -> None:
    arrays, labels = _arrays()
    a = _run_epochs(arrays, labels, 1, seed=5)
    b = _run_epochs(arrays, labels, 1, seed=5)
    c = _run_epochs(arrays, labels, 1, seed=6)
    assert len(a) == 10 and a == b
    assert a != c


def test_restored_rng_continues_the_same_stream() -> None:
    rng = seed_everything(3)
    state = capture_rng(rng)
    import torch

    expected = (torch.rand(3).tolist(), rng.permutation(10).tolist())
    rng2 = restore_rng(state)
    assert (torch.rand(3).tolist(), rng2.permutation(10).tolist()) == expected


def test_training_learns_and_evaluate_is_aligned_with_rows() -> None:
    import torch

    arrays, labels = _arrays(320)
    rng = seed_everything(0)
    model = build_model("cnn", HP, vocab_size=200, num_classes=2)
    opt = make_optimizer(model, "adam", 1e-2, 0.0)
    seen: list[BatchStats] = []
    for _ in range(3):
        batches = bucketed_batches(arrays.lengths, np.arange(320), 16, 3, rng)
        stats = train_one_epoch(model, opt, arrays, batches, labels, torch.device("cpu"), seen.append)
    assert stats.samples == 320 and [s.batch for s in seen[-20:]] == list(range(1, 21))
    rows = np.array([5, 1, 300, 42])
    res = evaluate(model, arrays, rows, labels[rows], torch.device("cpu"), batch_size=2)
    whole = evaluate(model, arrays, np.arange(320), labels, torch.device("cpu"))
    assert np.allclose(res.loss, whole.loss[rows], atol=1e-5)
    assert np.allclose(res.probs.sum(1), 1.0, atol=1e-5)
    assert (whole.prediction == labels).mean() > 0.8
