"""How long a frozen-MiniLM epoch takes on this machine's CPU, measured on a subset and extrapolated.

The first epoch runs the frozen encoder once per review (training pass + the per-epoch evaluation
of every sample); later epochs find the pooled outputs in the encoder cache and run only the head.
This times both on BENCH_SIZE real reviews (default 512) and scales to IMDB: the first epoch
encodes each of the 50,000 samples once (training pass over the 20,000 train reviews, then the
evaluation of val and test; train hits the cache), later epochs train the head on 20,000 cached
vectors and evaluate 50,000.

    python -m bench.minilm_frozen          # BENCH_SIZE=512 BENCH_THREADS=2 MAX_TOKENS=256

`BENCH_MODE=accuracy` measures instead what the frozen encoder's pooled vector is worth on a subset
(`accuracy()` below): which pooling and which head, chosen on a movie-disjoint validation split, with
test read once at the epoch validation picks.

    BENCH_MODE=accuracy python -m bench.minilm_frozen   # BENCH_TRAIN=1500 BENCH_VAL=400 BENCH_TEST=1000
"""

from __future__ import annotations

import hashlib
import os
import time
from itertools import islice
from typing import Any

import torch

from backend.core.data.imdb import iter_reviews
from backend.core.text.tokenizer import TextTokenizer
from tests.support.services import SHARED_ARCHIVE  # honours LENSBOARD_IMDB_ARCHIVE
from worker.models.minilm import ENCODER_CACHE, MiniLmClassifier
from worker.models.registry import build_model
from worker.models.word_vectors import vocabulary

TRAIN, SAMPLES = 20_000, 50_000


def main() -> None:
    size = int(os.environ.get("BENCH_SIZE", "512"))
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    max_tokens = int(os.environ.get("MAX_TOKENS", "256"))
    # Every 50th review, so that the subset mixes splits and labels across the archive's order.
    reviews = list(islice((r for i, r in enumerate(iter_reviews(SHARED_ARCHIVE)) if i % 50 == 0), size))
    tok = TextTokenizer.fit((r.text for r in reviews), vocab_size=30_000, max_length=400)
    rows = [ids[:400] for ids in tok.encode_ids_batch([r.text for r in reviews])]
    labels = torch.tensor([r.label for r in reviews])
    t0 = time.perf_counter()
    model = build_model("minilm", {"max_tokens": max_tokens}, tok.vocab_size, 2, vocabulary(tok))
    build_s = time.perf_counter() - t0
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))  # length bucketing, as the pipeline does
    batches = [order[i : i + 64] for i in range(0, len(order), 64)]

    def one_epoch() -> float:
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        model.train()
        start = time.perf_counter()
        for b in batches:
            width = max(len(rows[i]) for i in b)
            ids = torch.zeros(len(b), width, dtype=torch.long)
            for j, i in enumerate(b):
                ids[j, : len(rows[i])] = torch.tensor(rows[i])
            lengths = torch.tensor([len(rows[i]) for i in b])
            opt.zero_grad()
            loss = model.loss_fn(model(ids, lengths), labels[b])
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
        return time.perf_counter() - start

    ENCODER_CACHE.clear()
    first = one_epoch()
    cached = one_epoch()
    mean_words = sum(min(len(r), max_tokens) for r in rows) / len(rows)
    per_review = first / len(rows)
    print(f"reviews={len(rows)} mean_words={mean_words:.0f} threads={torch.get_num_threads()} "
          f"build_s={build_s:.1f}")
    print(f"first pass (encoder): {len(rows) / first:.1f} reviews/s; "
          f"cached epoch: {len(rows) / cached:.0f} reviews/s")
    first_epoch_h = per_review * SAMPLES / 3600
    later_s = cached / len(rows) * (TRAIN + SAMPLES)  # head-only: training and evaluation alike
    print(f"extrapolated to IMDB: first epoch (encode 50k samples once) {first_epoch_h:.2f} h; "
          f"later epochs about {later_s:.0f} s (head only, from the cache)")
    print(f"frozen_first_epoch_hours={first_epoch_h:.2f}")


def _subset(n_train: int, n_val: int, n_test: int) -> dict[str, list[Any]]:
    """Reviews spread over the archive, half of each class per split: train and val from IMDB's train
    folder, val by whole movies (a tenth of the movies by a stable hash), test from the test folder;
    every 5th review, so that many movies come in."""
    out: dict[str, list[Any]] = {"train": [], "val": [], "test": []}
    want = {"train": n_train, "val": n_val, "test": n_test}
    taken: dict[tuple[str, int], int] = {}
    for i, r in enumerate(iter_reviews(SHARED_ARCHIVE)):
        if i % 5:
            continue
        if r.split == "test":
            split = "test"
        else:
            movie = r.movie_id or r.key
            split = "val" if int(hashlib.md5(movie.encode()).hexdigest(), 16) % 10 == 0 else "train"
        quota = want[split] // 2 + (want[split] % 2 if r.label == 1 else 0)
        if taken.get((split, r.label), 0) < quota:
            taken[(split, r.label)] = taken.get((split, r.label), 0) + 1
            out[split].append(r)
        if all(len(out[k]) >= want[k] for k in out):
            break
    return out


def _fit_head(x: dict[str, torch.Tensor], y: dict[str, torch.Tensor], hidden: int, epochs: int,
              seed: int = 0, lr: float = 1e-3, lr_decay: float = 1.0) -> tuple[int, float, float]:
    """Train a head on cached vectors; (epoch, val accuracy, test accuracy) at the epoch val picks."""
    torch.manual_seed(seed)
    dim = x["train"].shape[1]
    head: torch.nn.Module = (torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(dim, hidden), torch.nn.ReLU(),
                                                 torch.nn.Dropout(0.1), torch.nn.Linear(hidden, 2))
                             if hidden else torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(dim, 2)))
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    best = (0, -1.0, 0.0)
    for epoch in range(1, epochs + 1):
        for group in opt.param_groups:
            group["lr"] = lr * lr_decay ** (epoch - 1)
        head.train()
        order = torch.randperm(len(y["train"]))
        for start in range(0, len(order), 64):
            b = order[start:start + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(head(x["train"][b]), y["train"][b]).backward()  # type: ignore[no-untyped-call]
            opt.step()
        head.eval()
        with torch.no_grad():
            acc = {k: float((head(x[k]).argmax(1) == y[k]).float().mean()) for k in ("val", "test")}
        if acc["val"] > best[1]:
            best = (epoch, acc["val"], acc["test"])
    return best


def _truncate(ids: list[int], max_tokens: int, how: str) -> list[int]:
    """The words the encoder reads: the first max_tokens (head), or a quarter from the start and the rest
    from the end (head_tail: a review's verdict is often in its last sentences)."""
    if how == "head" or len(ids) <= max_tokens:
        return ids[:max_tokens]
    first = max_tokens // 4
    return ids[:first] + ids[len(ids) - (max_tokens - first):]


def accuracy() -> None:
    """Pooling x head on the frozen encoder: each review encoded once, every head trained on the cache."""
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    max_tokens = int(os.environ.get("MAX_TOKENS", "256"))
    epochs = int(os.environ.get("BENCH_EPOCHS", "100"))
    truncations = os.environ.get("BENCH_TRUNCATIONS", "head").split(",")
    sizes = (int(os.environ.get("BENCH_TRAIN", "1500")), int(os.environ.get("BENCH_VAL", "400")),
             int(os.environ.get("BENCH_TEST", "1000")))
    t0 = time.perf_counter()
    data = _subset(*sizes)
    tok = TextTokenizer.fit((r.text for r in data["train"]), vocab_size=30_000, max_length=800)
    model = build_model("minilm", {"max_tokens": max_tokens}, tok.vocab_size, 2, vocabulary(tok))
    assert isinstance(model, MiniLmClassifier)
    model.eval()
    # The last layer's states, for [CLS] and max pooling beside the mean the model pools by default.
    last: list[torch.Tensor] = []
    model.encoder.register_forward_hook(lambda _m, _i, out: last.append(out.last_hidden_state.detach()))
    x: dict[str, dict[str, torch.Tensor]] = {}
    y = {split: torch.tensor([r.label for r in reviews]) for split, reviews in data.items()}
    encode_start = time.perf_counter()
    for how in truncations:
        for split, reviews in data.items():
            rows = [_truncate(ids, max_tokens, how) for ids in tok.encode_ids_batch([r.text for r in reviews])]
            pooled, cls, peak = [], [], []
            for start in range(0, len(rows), 32):
                part = rows[start:start + 32]
                ids = torch.zeros(len(part), max(max(len(r) for r in part), 1), dtype=torch.long)
                for j, r in enumerate(part):
                    ids[j, :len(r)] = torch.tensor(r)
                lengths = torch.tensor([len(r) for r in part])
                last.clear()
                with torch.no_grad():
                    pooled.append(model.encode_layers(model.embedding(ids), lengths))
                states = last[-1]
                seen = torch.arange(states.shape[1])[None, :] < (lengths + 2)[:, None]
                cls.append(states[:, 0])
                peak.append(states.masked_fill(~seen[:, :, None], float("-inf")).amax(dim=1))
            layers = torch.cat(pooled)
            variants = {"mean": layers[:, -1], "cls": torch.cat(cls),
                        "mean_layers_4_6": torch.cat([layers[:, -2], layers[:, -1]], dim=1),
                        "all_taps": layers.flatten(1), "mean_max": torch.cat([layers[:, -1], torch.cat(peak)], 1)}
            for name, value in variants.items():
                x.setdefault(f"{how}:{name}", {})[split] = value
    encoded = sum(len(v) for v in data.values()) * len(truncations)
    encode_s = time.perf_counter() - encode_start
    print(f"subset train={sizes[0]} val={sizes[1]} (movie-disjoint) test={sizes[2]} max_tokens={max_tokens} "
          f"threads={torch.get_num_threads()} encode={encoded / encode_s:.1f} reviews/s")
    print(f"{'truncation:pooling':<26} {'head':<10} {'epoch':>5} {'val acc':>8} {'test acc':>9}")
    results = {}
    for pooling in x:
        for hidden in (0, 128):
            epoch, val, test = _fit_head(x[pooling], y, hidden, epochs)
            name = "linear" if hidden == 0 else f"mlp{hidden}"
            results[(pooling, name)] = (val, test)
            print(f"{pooling:<26} {name:<10} {epoch:>5} {val:>8.4f} {test:>9.4f}", flush=True)
    # The product's head schedule on the sentence vector: 2 epochs at lr 1e-3 halving each epoch, batch 64.
    epoch, val, test = _fit_head(x["head:mean"], y, 128, 2, lr=1e-3, lr_decay=0.5)
    print(f"{'head:mean':<26} {'mlp128 2ep':<10} {epoch:>5} {val:>8.4f} {test:>9.4f} (the product's schedule)")
    best = max(results, key=lambda k: results[k][0])
    print(f"chosen on val: pooling={best[0]} head={best[1]} (test {results[best][1]:.4f}); "
          f"total {time.perf_counter() - t0:.0f} s")
    print(f"minilm_frozen_mean_linear_test_accuracy={results[('head:mean', 'linear')][1]:.4f}")


if __name__ == "__main__":
    accuracy() if os.environ.get("BENCH_MODE") == "accuracy" else main()
