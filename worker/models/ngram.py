"""fastText-style bag of n-grams: the mean of word and word-pair vectors, then a linear layer.

Each position t of a review gets its word's vector and the vector of the pair (word t-1, word t), whose
id is hashed into `bigram_buckets` rows (bucket 0 is "no pair": the first word, padding). The embedding
module returns both side by side, (B, T, 2·D), so the whole model is a function of the embedding
output: Captum's layer methods on `embedding` credit each position with its word and the pair it
closes, and the attribution view can split the two halves (word | bigram). A review's vector is the mean
over its real positions of word + pair vectors, the layer the map shows (`bag`).

Evaluating every sample (and the map's vectors) needs no (B, T, 2·D) tensor: `forward_pooled` sums each
table's rows per review with embedding_bag (padding skipped), which is the same mean up to float rounding
and a third of the work of building, masking and reducing the per-position tensor.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from backend.core.specs.architectures import NgramParams
from backend.core.text.tokenizer import PAD_ID
from worker.models.base import TextClassifier, length_mask
from worker.models.graph import LayerGraph

# A large odd multiplier spreads (previous, current) pairs over the buckets; int64 holds the product for
# any vocabulary under 2^32 words.
_PAIR_MIX = 2_654_435_761


def bigram_ids(token_ids: Tensor, buckets: int) -> Tensor:
    """(B, T) hashed id of the pair ending at each position, in 1..buckets; 0 where there is no pair."""
    prev = F.pad(token_ids[:, :-1], (1, 0), value=PAD_ID)
    hashed = (prev.to(torch.int64) * _PAIR_MIX + token_ids.to(torch.int64)) % buckets + 1
    return torch.where((prev == PAD_ID) | (token_ids == PAD_ID), torch.zeros_like(hashed), hashed)


class NgramEmbedding(nn.Embedding):
    """Word vectors (this module's weight) and hashed pair vectors, side by side per position."""

    def __init__(self, vocab_size: int, dim: int, buckets: int, sparse: bool) -> None:
        super().__init__(vocab_size, dim, padding_idx=PAD_ID, sparse=sparse)
        self.buckets = buckets
        self.pairs = nn.Embedding(buckets + 1, dim, padding_idx=0, sparse=sparse) if buckets > 0 else None
        for table in (self.weight, *([self.pairs.weight] if self.pairs is not None else [])):
            nn.init.uniform_(table, -1.0 / dim, 1.0 / dim)
            with torch.no_grad():
                table[0].zero_()

    def forward(self, token_ids: Tensor) -> Tensor:
        words = F.embedding(token_ids, self.weight, padding_idx=PAD_ID, sparse=self.sparse)
        if self.pairs is None:
            return words
        return torch.cat([words, self.pairs(bigram_ids(token_ids, self.buckets))], dim=-1)


class NgramBag(TextClassifier):
    architecture = "ngram"
    fused_pooling = True
    # A step is a few dozen small ops on (64, T, 64) tensors, so a second intra-op thread's barriers stall
    # whenever another process holds a core (the previous epoch's map, the API, other jobs). 100k synthetic
    # reviews on 2 cores: at load 5-6 the training took 193 s with 2 threads against 45 s with 1 (140 s of
    # CPU against 29 s); on the idle machine 19 s against 28 s. The robust default is one thread; a dedicated
    # host can set LENSBOARD_TORCH_THREADS=2.
    max_threads = 1
    embedding: NgramEmbedding

    def __init__(self, vocab_size: int, num_classes: int, params: NgramParams) -> None:
        super().__init__()
        self.params = params
        self.num_classes = num_classes
        self.dim = params.embedding_dim
        # Sparse gradients where the optimiser takes them: a batch touches a few thousand of the rows.
        self.embedding = NgramEmbedding(vocab_size, self.dim, params.bigram_buckets,
                                        sparse=params.optimizer in ("sgd", "adagrad"))
        # The embedding output's halves, for attribution: each position's word, and the pair it closes.
        self.embedding_parts = ["word", "bigram"] if params.bigram_buckets > 0 else ["word"]
        self.bag = nn.Identity()  # a named module, so the map can hook the averaged vector
        self.dropout = nn.Dropout(params.dropout)
        self.out = nn.Linear(self.dim, num_classes)

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        b, t, width = embedded.shape
        per_position = embedded.reshape(b, t, width // self.dim, self.dim).sum(2)  # word + pair
        mask = length_mask(lengths, t).unsqueeze(-1).to(per_position.dtype)
        mean = (per_position * mask).sum(1) / lengths.clamp(min=1).unsqueeze(-1).to(per_position.dtype)
        return self.out(self.dropout(self.bag(mean)))  # type: ignore[no-any-return]

    def forward_pooled(self, token_ids: Tensor, lengths: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        table = self.embedding
        words = F.embedding_bag(token_ids, table.weight, mode="sum", padding_idx=PAD_ID)
        count = lengths.clamp(min=1).unsqueeze(-1).to(words.dtype)
        if table.pairs is None:
            bag = embedded = words / count
        else:
            pairs = F.embedding_bag(bigram_ids(token_ids, table.buckets), table.pairs.weight, mode="sum",
                                    padding_idx=0)
            bag = (words + pairs) / count
            embedded = torch.cat([words / count, pairs / count], dim=-1)  # the mean word | mean pair
        logits = self.out(self.dropout(bag))
        return logits, {"embedding": embedded, "bag": bag, "logits": logits}

    def latent_layers(self) -> dict[str, nn.Module]:
        # The embedding layer pools to the mean word | mean pair vector; `bag` is their sum, what the
        # linear layer reads; `logits` is what it makes of it.
        return {"embedding": self.embedding, "bag": self.bag, "logits": self.out}

    def describe(self) -> dict[str, Any]:
        p = self.params
        parts = 2 if p.bigram_buckets > 0 else 1
        g = LayerGraph()
        g.add("input", "input", "token ids", ["B", "T"])
        pairs = f" | {p.bigram_buckets} hashed word-pair vectors" if p.bigram_buckets > 0 else ""
        g.add("embedding", "embedding", f"word vectors {self.dim}{pairs}", ["B", "T", parts * self.dim],
              self.embedding)
        g.add("bag", "pool", "mean over positions of word + pair vectors", ["B", self.dim])
        g.add("logits", "dense", f"Dense {self.num_classes}" + (f", dropout {p.dropout}" if p.dropout else ""),
              ["B", self.num_classes], self.out)
        return g.finish(self, self.architecture, "cross-entropy", f"{p.optimizer} lr={p.learning_rate}")
