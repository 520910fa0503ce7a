"""Test accuracy of the default CNN after 5 epochs on IMDB, trained exactly as the platform trains it.

Train on the 20k training reviews left after carving out the 5k validation set (as the import does),
report validation accuracy per epoch, then the test accuracy of the last epoch's model on all 25k
test reviews (no early stopping on test). Last line: `test_accuracy=<x>`.
"""

from __future__ import annotations

import json
import os
import time

import torch

from backend.core.specs.architectures import CnnParams
from backend.core.specs.imports import TokenizerConfig
from bench.imdb_data import load
from worker.models.registry import build_model
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.evaluate import evaluate
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, set_epoch_learning_rate, train_one_epoch

EPOCHS = int(os.environ.get("BENCH_EPOCHS", "5"))


def main() -> None:
    if os.environ.get("LENSBOARD_TORCH_THREADS"):
        torch.set_num_threads(int(os.environ["LENSBOARD_TORCH_THREADS"]))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # BENCH_HP='{"num_filters": 256}' tries other hyperparameters on the same data.
    p = CnnParams(**json.loads(os.environ.get("BENCH_HP", "{}")))
    # The import's defaults unless BENCH_VOCAB / BENCH_MAX_LENGTH say otherwise.
    defaults = TokenizerConfig()
    data = load(val_size=5000, vocab_size=int(os.environ.get("BENCH_VOCAB", defaults.vocab_size)),
                max_length=int(os.environ.get("BENCH_MAX_LENGTH", defaults.max_length)))
    train_rows, val_rows, test_rows = data.rows("train"), data.rows("val"), data.rows("test")
    print(f"data: train {len(train_rows)}, val {len(val_rows)}, test {len(test_rows)}, "
          f"vocab {data.vocab_size}")
    print(f"model: {p.model_dump()}")
    rng = seed_everything(0)
    model = build_model("cnn", p.model_dump(), data.vocab_size, 2).to(device)
    opt = make_optimizer(model, p.optimizer, p.learning_rate, p.weight_decay)
    for epoch in range(1, EPOCHS + 1):
        start = time.perf_counter()
        set_epoch_learning_rate(opt, p.learning_rate, p.lr_decay, epoch)
        batches = bucketed_batches(data.arrays.lengths, train_rows, p.batch_size, p.bucket_chunk_batches, rng)
        stats = train_one_epoch(model, opt, data.arrays, batches, data.labels, device)
        val = evaluate(model, data.arrays, val_rows, data.labels[val_rows], device, p.eval_batch_size)
        val_acc = float((val.prediction == data.labels[val_rows]).mean())
        print(f"epoch {epoch}: train loss {stats.loss:.4f} acc {stats.accuracy:.4f}, "
              f"val loss {val.loss.mean():.4f} acc {val_acc:.4f} ({time.perf_counter() - start:.0f}s)")
    test = evaluate(model, data.arrays, test_rows, data.labels[test_rows], device, p.eval_batch_size)
    accuracy = float((test.prediction == data.labels[test_rows]).mean())
    print(f"test loss {test.loss.mean():.4f}")
    print(f"test_accuracy={accuracy:.4f}")


if __name__ == "__main__":
    main()
