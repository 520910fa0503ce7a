"""Attribution benchmark: every method on the same test reviews of a trained CNN.

    python -m bench.attrib          (make bench-attrib)

Prints p50/p95 latency per method on the worker's code path (`analyze_text`: prediction,
attribution and faithfulness, one review at a time, as the analyze task runs it), mean ERASER
comprehensiveness and sufficiency, and the same for a random attribution. Last line:
`ig_p50_seconds=<x>` (Integrated Gradients, 50 steps; target <= 0.3 s on 2 CPU cores).

The CNN (default hyperparameters, max length 400) is trained briefly here on the shared archive.
Environment: BENCH_ATTRIB_N (reviews, default 500), BENCH_ATTRIB_TRAIN (training reviews, default
25000), BENCH_ATTRIB_EPOCHS (default 2), BENCH_ATTRIB_METHODS (comma list, default all),
LENSBOARD_IMDB_ARCHIVE, LENSBOARD_TORCH_THREADS (default 2).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from backend.core.data.imdb import iter_reviews
from backend.core.specs.analysis_methods import METHODS
from backend.core.specs.architectures import CnnParams
from backend.core.text.tokenizer import PAD_ID, TextTokenizer
from worker.attribution.analyze import analyze_text
from worker.models.cnn import TextCNN

ARCHIVE = os.environ.get("LENSBOARD_IMDB_ARCHIVE", str(Path(__file__).resolve().parents[1].parent
                                                       / "shared/data/aclImdb_v1_labeled.tar.gz"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


Labeled = list[tuple[str, int]]


def load_split(n_train: int, n_test: int, seed: int = 0) -> tuple[Labeled, Labeled]:
    reviews = [(r.key, r.label, r.text) for r in iter_reviews(ARCHIVE)]
    rng = random.Random(seed)
    train = [(t, y) for k, y, t in reviews if k.startswith("train/")]
    test = [(t, y) for k, y, t in reviews if k.startswith("test/")]
    rng.shuffle(train)
    rng.shuffle(test)
    return train[:n_train], test[:n_test]


def train_cnn(train: list[tuple[str, int]], tok: TextTokenizer, epochs: int) -> TextCNN:
    """A brief, plain training loop (length-sorted batches), enough for meaningful attributions."""
    torch.manual_seed(0)
    model = TextCNN(tok.vocab_size, 2, CnnParams())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    encoded = [e.model_ids for e in tok.encode_batch([t for t, _ in train])]
    labels = [y for _, y in train]
    order = sorted(range(len(train)), key=lambda i: len(encoded[i]))
    batches = [order[i:i + 64] for i in range(0, len(order), 64)]
    for epoch in range(epochs):
        random.Random(epoch).shuffle(batches)
        model.train()
        start, seen = time.perf_counter(), 0
        for rows in batches:
            width = max(max(len(encoded[i]) for i in rows), 1)
            ids = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
            for r, i in enumerate(rows):
                ids[r, :len(encoded[i])] = torch.as_tensor(encoded[i])
            lengths = torch.as_tensor([max(len(encoded[i]), 1) for i in rows])
            loss = F.cross_entropy(model(ids, lengths), torch.as_tensor([labels[i] for i in rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(rows)
        rate = seen / (time.perf_counter() - start)
        print(f"  trained epoch {epoch + 1}: {rate:.0f} samples/s", flush=True)
    model.eval()
    model.requires_grad_(False)  # as the worker's model cache does
    return model


def main() -> None:
    torch.set_num_threads(_env_int("LENSBOARD_TORCH_THREADS", 2))
    n, n_train, epochs = _env_int("BENCH_ATTRIB_N", 500), _env_int("BENCH_ATTRIB_TRAIN", 25_000), \
        _env_int("BENCH_ATTRIB_EPOCHS", 2)
    methods = [m for m in os.environ.get("BENCH_ATTRIB_METHODS", ",".join(METHODS)).split(",") if m]
    print(f"attribution benchmark: {n} test reviews, CNN trained on {n_train} reviews for {epochs} epochs, "
          f"{torch.get_num_threads()} threads", flush=True)
    train, test = load_split(n_train, n)
    tok = TextTokenizer.fit((t for t, _ in train), vocab_size=20_000, max_length=400)
    model = train_cnn(train, tok, epochs)
    texts = [t for t, _ in test]
    acc = np.mean([analyze_text(model, tok, t, "saliency", {}, ["neg", "pos"]).prediction == y
                   for t, y in test[:200]])
    print(f"  test accuracy (first {min(200, n)}): {acc:.3f}; "
          f"median tokens seen: {np.median([min(len(tok.encode(t).ids), 400) for t in texts]):.0f}")

    header = f"{'method':<22}{'p50 s':>8}{'p95 s':>8}{'attr p50':>10}{'comp':>8}{'suff':>8}"
    rows: list[str] = []
    rand_comp: list[float] = []
    rand_suff: list[float] = []
    ig_p50 = float("nan")
    for method in methods:
        analyze_text(model, tok, texts[0], method, {}, ["neg", "pos"])  # warm-up
        total, attr, comp, suff = [], [], [], []
        for text in texts:
            res = analyze_text(model, tok, text, method, {}, ["neg", "pos"])
            total.append(res.timing["total"])
            attr.append(res.timing["attribution"])
            comp.append(res.faithfulness.comprehensiveness)
            suff.append(res.faithfulness.sufficiency)
            if method == methods[0]:  # the random ranking doesn't depend on the method
                rand_comp.append(res.faithfulness.random_comprehensiveness)
                rand_suff.append(res.faithfulness.random_sufficiency)
        p50, p95 = np.percentile(total, [50, 95])
        if method == "integrated_gradients":
            ig_p50 = float(p50)
        rows.append(f"{method:<22}{p50:>8.3f}{p95:>8.3f}{np.median(attr):>10.3f}"
                    f"{np.mean(comp):>8.3f}{np.mean(suff):>8.3f}")
        print(rows[-1], flush=True)
    print()
    print(header)
    print("\n".join(rows))
    print(f"{'random':<22}{'':>8}{'':>8}{'':>10}{np.mean(rand_comp):>8.3f}{np.mean(rand_suff):>8.3f}")
    print("(comp: comprehensiveness AOPC, higher is more faithful; suff: sufficiency AOPC, lower is better)")
    print(f"ig_p50_seconds={ig_p50:.4f}")


if __name__ == "__main__":
    sys.exit(main())
