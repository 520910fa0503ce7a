"""The GPU path, checked in one script (<= 8 minutes on one GPU): run it whenever a GPU machine is at hand.

    python -m bench.gpu_check            # CUDA when present, else the CPU at small sizes
  GPU_CHECK_N=N           reviews for the CNN epoch + evaluation (default 50,000 on CUDA, 256 on CPU)
  GPU_CHECK_MINILM_N=N    reviews for the MiniLM fine-tuning epoch (default 2,000 on CUDA, 16 on CPU)

Prints one `key=value` line per figure:
- the CNN's training epoch plus the evaluation of every review (target on one H100: <= 15 s at 50k);
- LSTM and BiLSTM: the packed-sequence path (what CUDA runs) against the padded path the CPU runs, on the
  same weights and the same device: logits and gradients must agree; then a few training steps on the device;
- MiniLM fine-tuned (`finetune=true`) for one epoch;
- Captum's layer Integrated Gradients on the device, with its completeness gap;
- the worker's GPU claim (worker/pipeline/gpu_claim.py).
The last line is `gpu_check=ok` (any failed check raises). A unit test runs it on the CPU at small sizes
(tests/unit/test_gpu_check.py) so that it cannot rot between GPU runs.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from captum.attr import LayerIntegratedGradients

from backend.core.specs.architectures import validate_hyperparameters
from backend.core.text.token_store import TokenArrays
from worker.attribution.heads import TokenProbabilities
from worker.models.lstm import TextLSTM
from worker.models.registry import build_model
from worker.pipeline.batching import bucketed_batches, collate
from worker.pipeline.evaluate import evaluate
from worker.pipeline.gpu_claim import claim_gpu
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, train_one_epoch

VOCAB = 30_000


def synthetic_reviews(n: int, seed: int, max_len: int) -> tuple[TokenArrays, npt.NDArray[np.int64]]:
    """IMDB-shaped token rows (lengths 20..max_len, a long tail like reviews) whose label a bag of words
    can learn: each class draws a share of its words from its own block of the vocabulary."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n).astype(np.int64)
    lengths = np.clip(rng.lognormal(5.2, 0.6, size=n).astype(np.int64), 20, max_len)
    rows = []
    for label, length in zip(labels, lengths, strict=True):
        row = rng.integers(2, VOCAB, size=length)
        marked = rng.random(length) < 0.1
        row[marked] = rng.integers(2 + label * 1000, 1002 + label * 1000, size=int(marked.sum()))
        rows.append(row)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return TokenArrays(ids=np.concatenate(rows).astype(np.int32), offsets=offsets), labels


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cnn_epoch(device: torch.device, n: int) -> dict[str, Any]:
    arrays, labels = synthetic_reviews(n, 0, 800)
    hp = validate_hyperparameters("cnn", {})
    rng = seed_everything(0)
    model = build_model("cnn", hp, VOCAB, 2).to(device)
    opt = make_optimizer(model, hp["optimizer"], hp["learning_rate"], hp["weight_decay"])
    rows = np.arange(n, dtype=np.int64)
    start = time.perf_counter()
    batches = bucketed_batches(arrays.lengths, rows, hp["batch_size"], hp["bucket_chunk_batches"], rng)
    stats = train_one_epoch(model, opt, arrays, batches, labels, device)
    result = evaluate(model, arrays, rows, labels, device, hp["eval_batch_size"], pool_layers=True)
    _sync(device)
    seconds = time.perf_counter() - start
    accuracy = float((result.prediction == labels).mean())
    assert np.isfinite(result.loss).all() and stats.samples == n
    return {"cnn_reviews": n, "cnn_epoch_eval_seconds": round(seconds, 2),
            "cnn_train_accuracy": round(stats.accuracy, 4), "cnn_eval_accuracy": round(accuracy, 4)}


def lstm_paths(device: torch.device, architecture: str, small: bool) -> dict[str, Any]:
    """Packed (CUDA's path) against padded (the CPU's) on the same weights: logits and gradients."""
    torch.manual_seed(0)
    hp = {"embedding_dim": 32, "hidden_size": 48} if small else {}
    model = build_model(architecture, validate_hyperparameters(architecture, hp), VOCAB, 2).to(device).eval()
    assert isinstance(model, TextLSTM)
    arrays, labels = synthetic_reviews(16, 1, 120 if small else 800)
    ids, lengths = collate(arrays, np.arange(16, dtype=np.int64), model.min_length())
    ids, lengths = ids.to(device), lengths.to(device)
    outs, grads = [], []
    for layers in (model._packed_layers, model._padded_layers):
        model.zero_grad()
        embedded = model.embedding(ids)
        pooled = model._pool(*layers(embedded, lengths), lengths)
        logits = model.out(model.dense_act(model.dense(model.final(pooled))))
        logits.pow(2).sum().backward()  # type: ignore[no-untyped-call]
        outs.append(logits.detach())
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    logit_diff = float((outs[0] - outs[1]).abs().max())
    grad_diff = float((grads[0] - grads[1]).abs().max() / grads[0].abs().max().clamp(min=1e-12))
    assert logit_diff < 1e-3 and grad_diff < 1e-3, (logit_diff, grad_diff)
    # A few real training steps on the device (its own path: packed on CUDA).
    model.train()
    p = validate_hyperparameters(architecture, hp)
    opt = make_optimizer(model, p["optimizer"], p["learning_rate"], p["weight_decay"])
    batches = [np.arange(i, i + 8, dtype=np.int64) for i in range(0, 16, 8)]
    start = time.perf_counter()
    stats = train_one_epoch(model, opt, arrays, batches, labels, device, grad_clip=p["grad_clip"])
    _sync(device)
    assert np.isfinite(stats.loss)
    return {f"{architecture}_packed_vs_padded_logit_diff": f"{logit_diff:.2e}",
            f"{architecture}_packed_vs_padded_grad_rel_diff": f"{grad_diff:.2e}",
            f"{architecture}_train_steps_seconds": round(time.perf_counter() - start, 2)}


def minilm_finetune(device: torch.device, n: int, small: bool) -> dict[str, Any]:
    from backend.core.text.tokenizer import TextTokenizer
    from worker.models.word_vectors import vocabulary

    corpus = ["a good film with a great cast", "a bad movie with a boring plot", "fun story and music",
              "awful acting and a dull ending"]
    tok = TextTokenizer.fit(corpus, vocab_size=100, max_length=64)
    texts = [corpus[i % 4] + " " + corpus[(i * 7) % 4] for i in range(n)]
    labels = np.array([(i % 4) in (0, 2) for i in range(n)], dtype=np.int64)
    rows = [np.asarray(tok.encode(t).model_ids, dtype=np.int64) for t in texts]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    arrays = TokenArrays(ids=np.concatenate(rows).astype(np.int32), offsets=offsets)
    hp = validate_hyperparameters("minilm", {"finetune": True, "learning_rate": 2e-5, "batch_size": 16,
                                             "max_tokens": 32 if small else 256})
    torch.manual_seed(0)
    model = build_model("minilm", hp, tok.vocab_size, 2, vocab=vocabulary(tok)).to(device)
    opt = make_optimizer(model, hp["optimizer"], hp["learning_rate"], hp["weight_decay"])
    batches = [np.arange(i, min(i + 16, n), dtype=np.int64) for i in range(0, n, 16)]
    start = time.perf_counter()
    stats = train_one_epoch(model, opt, arrays, batches, labels, device)
    _sync(device)
    assert np.isfinite(stats.loss)
    return {"minilm_finetune_reviews": n, "minilm_finetune_epoch_seconds": round(time.perf_counter() - start, 2)}


def integrated_gradients(device: torch.device) -> dict[str, Any]:
    torch.manual_seed(0)
    model = build_model("cnn", validate_hyperparameters("cnn", {}), VOCAB, 2).to(device).eval()
    arrays, _ = synthetic_reviews(8, 2, 400)
    ids, lengths = collate(arrays, np.arange(8, dtype=np.int64), model.min_length())
    ids, lengths = ids.to(device), lengths.to(device)
    lig = LayerIntegratedGradients(TokenProbabilities(model), model.embedding)
    start = time.perf_counter()
    attr, delta = lig.attribute(ids, baselines=torch.zeros_like(ids), target=1, additional_forward_args=(lengths,),
                                n_steps=50, internal_batch_size=50, return_convergence_delta=True)
    _sync(device)
    assert attr.device.type == device.type and torch.isfinite(attr).all()
    return {"ig_reviews": 8, "ig_seconds": round(time.perf_counter() - start, 2),
            "ig_max_completeness_gap": f"{float(delta.abs().max()):.2e}"}


def gpu_claim(device: torch.device) -> dict[str, Any]:
    count = torch.cuda.device_count() if device.type == "cuda" else 1  # on the CPU: the lock alone
    with tempfile.TemporaryDirectory() as tmp:
        index = claim_gpu(count, Path(tmp))
    assert 0 <= index < count
    return {"gpu_claim_index": index, "gpu_count": torch.cuda.device_count()}


def main() -> dict[str, Any]:
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    small = not cuda
    n = int(os.environ.get("GPU_CHECK_N", "50000" if cuda else "256"))
    minilm_n = int(os.environ.get("GPU_CHECK_MINILM_N", "2000" if cuda else "16"))
    figures: dict[str, Any] = {"device": torch.cuda.get_device_name(0) if cuda else "cpu (no CUDA: small sizes)"}
    print(f"device={figures['device']}", flush=True)
    for part in (lambda: cnn_epoch(device, n), lambda: lstm_paths(device, "lstm", small),
                 lambda: lstm_paths(device, "bilstm", small), lambda: minilm_finetune(device, minilm_n, small),
                 lambda: integrated_gradients(device), lambda: gpu_claim(device)):
        for key, value in part().items():
            figures[key] = value
            print(f"{key}={value}", flush=True)
    print("gpu_check=ok")
    return figures


if __name__ == "__main__":
    main()
