"""How long a frozen-MiniLM epoch takes on this machine's CPU, measured on a subset and extrapolated.

The first epoch runs the frozen encoder once per review (training pass + the per-epoch evaluation
of every sample); later epochs find the pooled outputs in the encoder cache and run only the head.
This times both on BENCH_SIZE real reviews (default 512) and scales to IMDB: the first epoch
encodes each of the 50,000 samples once (training pass over the 20,000 train reviews, then the
evaluation of val and test; train hits the cache), later epochs train the head on 20,000 cached
vectors and evaluate 50,000.

    python -m bench.minilm_frozen          # BENCH_SIZE=512 BENCH_THREADS=2 MAX_TOKENS=256
"""

from __future__ import annotations

import os
import time
from itertools import islice

import torch

from backend.core.data.imdb import iter_reviews
from backend.core.text.tokenizer import TextTokenizer
from tests.support.services import SHARED_ARCHIVE  # honours LENSBOARD_IMDB_ARCHIVE
from worker.models.minilm import ENCODER_CACHE
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


if __name__ == "__main__":
    main()
