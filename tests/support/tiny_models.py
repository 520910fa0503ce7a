"""Hand-built classifiers whose right answer is known, for testing attributions."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from backend.core.text.tokenizer import TextTokenizer
from worker.models.base import TextClassifier, length_mask, masked_mean

CORPUS = [
    "the movie was excellent and the acting was fun",
    "a plot with actors and a story about a city at night",
    "this film had a long scene and some music , then it ended !",
]


def tiny_tokenizer(max_length: int = 32) -> TextTokenizer:
    return TextTokenizer.fit(CORPUS, vocab_size=200, max_length=max_length)


class KeywordModel(TextClassifier):
    """One word decides the class: p(positive) ~ 0.95 with `keyword` in the text, ~0.05 without.

    Every other word nudges the logit a little (through a mean over a second embedding dim), so
    the methods have non-zero competitors to rank the keyword above.
    """

    architecture = "keyword"

    def __init__(self, vocab_size: int, keyword_id: int, seed: int = 0) -> None:
        super().__init__()
        self.num_classes = 2
        self.embedding = nn.Embedding(vocab_size, 3, padding_idx=0)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.embedding.weight.zero_()
            self.embedding.weight[1:, 1] = torch.randn(vocab_size - 1, generator=g)
            self.embedding.weight[1:, 2] = torch.randn(vocab_size - 1, generator=g)
            self.embedding.weight[keyword_id, 0] = 1.0
        self.eval()

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        mask = length_mask(lengths, embedded.shape[1])
        key = torch.relu(embedded[..., 0]).masked_fill(~mask, 0.0).amax(dim=1)
        other = masked_mean(embedded[..., 1:2], lengths)[:, 0]
        logit = 6.0 * key + 0.3 * other - 3.0
        return torch.stack([torch.zeros_like(logit), logit], dim=-1)

    def latent_layers(self) -> dict[str, nn.Module]:
        return {"embedding": self.embedding}

    def describe(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "nodes": [], "edges": []}
