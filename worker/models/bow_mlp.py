"""Dense network on a multi-hot bag of words, built so that attribution still works per token.

A multi-hot vector x over the top-N words followed by a dense layer W is the sum of W's columns
for the words present, each counted once. We compute exactly that from the token sequence:
`PresenceEmbedding` holds W's columns as embedding rows and scales each occurrence of a word by
1 / (its count in the review), so the occurrences of a word add up to one column. Padding, [OOV]
and words outside the top N contribute zero. Because the per-token vectors are the output of
`embedding`, Captum's layer methods attribute to every token position, and a repeated word's credit
is split evenly over its occurrences (presence, not frequency, is what the model sees).

Our tokenizer's ids are ranked by training-set frequency, so "top-N words" is simply id < N.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from backend.core.specs.architectures import BowMlpParams
from backend.core.text.tokenizer import OOV_ID, PAD_ID
from worker.models.base import Reduction, TextClassifier, classification_loss, length_mask
from worker.models.graph import LayerGraph

FIRST_WORD_ID = OOV_ID + 1


class PresenceEmbedding(nn.Embedding):
    """Per-token rows of the multi-hot dense layer, weighted so that each word type counts once."""

    def forward(self, token_ids: Tensor) -> Tensor:
        keep = (token_ids >= FIRST_WORD_ID) & (token_ids < self.num_embeddings)
        ids = torch.where(keep, token_ids, PAD_ID)
        weight = keep.to(self.weight.dtype)
        counts = torch.zeros(ids.shape[0], self.num_embeddings, dtype=weight.dtype, device=ids.device)
        counts.scatter_add_(1, ids, weight)
        share = weight / counts.gather(1, ids).clamp(min=1.0)
        return F.embedding(ids, self.weight) * share.unsqueeze(-1)


def _activation(name: str) -> nn.Module:
    return nn.ReLU() if name == "relu" else nn.Tanh()


class BowMLP(TextClassifier):
    architecture = "bow_mlp"

    def __init__(self, vocab_size: int, num_classes: int, params: BowMlpParams) -> None:
        super().__init__()
        self.params = params
        self.num_classes = num_classes
        self.top_n = min(params.top_n, vocab_size)
        first_width = params.units if params.hidden_layers > 0 else num_classes
        self.embedding = PresenceEmbedding(self.top_n, first_width)
        nn.init.normal_(self.embedding.weight, std=(1.0 / first_width) ** 0.5 * 0.1)
        self.bias = nn.Parameter(torch.zeros(first_width))
        self.acts = nn.ModuleList(_activation(params.activation) for _ in range(params.hidden_layers))
        self.dense = nn.ModuleList(
            nn.Linear(params.units, params.units) for _ in range(params.hidden_layers - 1)
        )
        self.dropout = nn.Dropout(params.dropout)
        self.out = nn.Linear(params.units, num_classes) if params.hidden_layers > 0 else nn.Identity()

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        mask = length_mask(lengths, embedded.shape[1]).unsqueeze(-1).to(embedded.dtype)
        x = (embedded * mask).sum(1) + self.bias  # = W · multi-hot + b
        for i, act in enumerate(self.acts):
            if i > 0:
                x = self.dense[i - 1](x)
            x = self.dropout(act(x))
        return self.out(x)  # type: ignore[no-any-return]

    def loss_fn(self, logits: Tensor, labels: Tensor, reduction: Reduction = "mean") -> Tensor:
        return classification_loss(self.params.loss, logits, labels, reduction)

    def latent_layers(self) -> dict[str, nn.Module]:
        layers: dict[str, nn.Module] = {"embedding": self.embedding}
        for i, act in enumerate(self.acts, start=1):
            layers[f"hidden{i}"] = act
        return layers

    def pool(self, name: str, output: Tensor, lengths: Tensor) -> Tensor:
        if name == "embedding":  # the multi-hot layer's pre-activation: a sum, not a mean
            mask = length_mask(lengths, output.shape[1]).unsqueeze(-1).to(output.dtype)
            return (output * mask).sum(1)
        return super().pool(name, output, lengths)

    def describe(self) -> dict[str, Any]:
        p = self.params
        width = self.embedding.embedding_dim
        g = LayerGraph()
        g.add("input", "input", "token ids", ["B", "T"])
        g.add("embedding", "embedding", f"multi-hot top {self.top_n} words x dense {width} (each word once)",
              ["B", "T", width], self.embedding)
        g.add("bag", "pool", "sum over words + bias", ["B", width])
        for i in range(1, p.hidden_layers + 1):
            module = self.dense[i - 2] if i > 1 else None
            g.add(f"hidden{i}", "dense", f"Dense {p.units} + {p.activation}" + (f", dropout {p.dropout}"),
                  ["B", p.units], module)
        if p.hidden_layers > 0:
            g.add("logits", "dense", f"Dense {self.num_classes}", ["B", self.num_classes], self.out)
        loss = "cross-entropy" if p.loss == "cross_entropy" else "MSE on softmax vs one-hot"
        return g.finish(self, self.architecture, loss, f"{p.optimizer} lr={p.learning_rate}")
