"""Epoch throughput of the platform's training pipeline against a bare padded PyTorch loop.

Both train the default CNN on the same 25k training reviews (IMDB's whole train split). The
platform uses length bucketing (batches padded to their own longest review); the bare loop pads
every review to max length 400, batch 64, as a textbook loop would. Then every one of the 50k
reviews is evaluated once, as after each epoch. Last line: `train_speedup=<platform / bare>`.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from backend.core.specs.architectures import CnnParams
from backend.core.text.token_store import TokenArrays
from bench.imdb_data import load
from worker.models.registry import build_model
from worker.pipeline.batching import bucketed_batches, collate
from worker.pipeline.evaluate import evaluate
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, train_one_epoch

MAX_LENGTH = 400


def main() -> None:
    torch.set_num_threads(int(os.environ.get("LENSBOARD_TORCH_THREADS", torch.get_num_threads())))
    device = torch.device("cpu")
    p = CnnParams()
    data = load(val_size=0, max_length=MAX_LENGTH)
    train_rows = data.rows("train")
    print(f"data: {len(train_rows)} train reviews, {len(data.arrays)} in all, vocab {data.vocab_size}, "
          f"mean length {data.arrays.lengths.mean():.0f} tokens, threads {torch.get_num_threads()}")

    rng = seed_everything(0)
    model = build_model("cnn", p.model_dump(), data.vocab_size, 2)
    opt = make_optimizer(model, p.optimizer, p.learning_rate, p.weight_decay)
    batches = bucketed_batches(data.arrays.lengths, train_rows, p.batch_size, p.bucket_chunk_batches, rng)
    stats = train_one_epoch(model, opt, data.arrays, batches, data.labels, device)
    platform = stats.samples / stats.seconds
    padded = sum(len(b) * int(data.arrays.lengths[b].max()) for b in batches)
    print(f"platform epoch: {stats.samples} samples in {stats.seconds:.1f}s = {platform:.0f} samples/s "
          f"(bucketed, batch {p.batch_size}, {padded / (stats.samples * MAX_LENGTH):.0%} of full padding)")

    bare = bare_loop(data.arrays, train_rows, data.labels, data.vocab_size, p)
    print(f"bare padded loop: {bare:.0f} samples/s (padded to {MAX_LENGTH}, batch 64)")

    everything = np.arange(len(data.arrays))
    result = evaluate(model, data.arrays, everything, data.labels, device, p.eval_batch_size)
    print(f"evaluate all {len(everything)} samples: {result.seconds:.1f}s "
          f"({len(everything) / result.seconds:.0f} samples/s)")
    print(f"train_speedup={platform / bare:.2f}")


def bare_loop(arrays: TokenArrays, rows: np.ndarray, labels: np.ndarray, vocab_size: int,
              p: CnnParams) -> float:
    """A textbook epoch: every review padded to MAX_LENGTH up front, shuffled batches of 64."""
    seed_everything(0)
    model = build_model("cnn", p.model_dump(), vocab_size, 2)
    opt = torch.optim.Adam(model.parameters(), lr=p.learning_rate)
    ids, lengths = collate(arrays, rows, min_length=MAX_LENGTH)
    targets = torch.from_numpy(labels[rows])
    limit = int(os.environ.get("BENCH_BARE_BATCHES", "0")) or None  # the padded loop's speed is flat
    order = torch.randperm(len(rows))
    batches = [order[i:i + 64] for i in range(0, len(rows), 64)][:limit]
    model.train()
    start = time.perf_counter()
    for b in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(ids[b], lengths[b]), targets[b])
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    seconds = time.perf_counter() - start
    return sum(len(b) for b in batches) / seconds


if __name__ == "__main__":
    main()
