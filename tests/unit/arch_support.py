"""Tiny models of every architecture and a toy task, shared by the architecture tests."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from worker.models.base import TextClassifier
from worker.models.registry import build_model

# id -> word, like our tokenizer's vocabulary: [PAD]=0, [OOV]=1, then words by frequency.
VOCAB = ["[PAD]", "[OOV]", "the", "a", "movie", "film", "good", "bad", "great", "awful", "plot", "actors",
         "and", "was", "is", "it", "this", "of", "to", "!", ",", ".", "story", "acting", "boring", "fun",
         "unbelievably", "script", "scene", "ending", "music", "cast", "long", "short", "funny", "sad"]
GOOD, BAD = VOCAB.index("good"), VOCAB.index("bad")

TINY: dict[str, dict[str, Any]] = {
    "cnn": {"embedding_dim": 8, "num_filters": 4, "kernel_sizes": [2, 3], "dense_units": 8, "dropout": 0.1},
    "lstm": {"embedding_dim": 8, "hidden_size": 6, "layers": 2, "dense_units": 8, "dropout": 0.1},
    "bilstm": {"embedding_dim": 8, "hidden_size": 6, "layers": 1, "dense_units": 8, "dropout": 0.1},
    "bow_mlp": {"top_n": 30, "hidden_layers": 2, "units": 8, "activation": "tanh", "dropout": 0.1},
    "minilm": {"max_tokens": 16, "head_hidden": 8, "dropout": 0.1},
    "ngram": {"embedding_dim": 8, "bigram_buckets": 50, "dropout": 0.1},
}
ARCHITECTURES = list(TINY)


def make_model(architecture: str, **overrides: Any) -> TextClassifier:
    torch.manual_seed(0)
    hp = {**TINY[architecture], **overrides}
    return build_model(architecture, hp, vocab_size=len(VOCAB), num_classes=2, vocab=VOCAB)


def batch(rows: list[list[int]]) -> tuple[Tensor, Tensor]:
    """Pad rows with 0 like the pipeline's collate."""
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, torch.tensor([len(r) for r in rows])


def toy_task(n: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Label 1 iff the review contains "good" (else "bad"), hidden among random filler words."""
    g = torch.Generator().manual_seed(seed)
    rows, labels = [], []
    filler = [i for i in range(2, len(VOCAB)) if i not in (GOOD, BAD)]
    for i in range(n):
        length = int(torch.randint(3, 12, (1,), generator=g))
        words = [filler[int(j)] for j in torch.randint(len(filler), (length,), generator=g)]
        label = i % 2
        words[int(torch.randint(length, (1,), generator=g))] = GOOD if label else BAD
        rows.append(words)
        labels.append(label)
    ids, lengths = batch(rows)
    return ids, lengths, torch.tensor(labels)
