"""The IMDB CNN of the Tensorleap walkthrough (Kim-style): parallel 1-D convolutions over word
embeddings, max-pooled over time, then dropout, a dense layer and two logits."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from backend.core.specs.architectures import CnnParams
from backend.core.text.tokenizer import PAD_ID
from worker.models.base import TextClassifier, length_mask

EMBEDDING_INIT = 0.05


class MaskedMaxPool(nn.Module):
    """Max over real time steps of (B, C, T); padding never wins the max."""

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        valid = length_mask(lengths.clamp(min=1), x.shape[2]).unsqueeze(1)
        return x.masked_fill(~valid, float("-inf")).amax(dim=2)


class TextCNN(TextClassifier):
    architecture = "cnn"

    def __init__(self, vocab_size: int, num_classes: int, params: CnnParams) -> None:
        super().__init__()
        self.params = params
        self.num_classes = num_classes
        self.embedding = nn.Embedding(vocab_size, params.embedding_dim, padding_idx=PAD_ID)
        # Small word vectors: torch's N(0, 1) default is so large next to Adam's ~lr-sized steps that a
        # rare word's vector hardly moves in a few epochs, and the network learns far more slowly.
        with torch.no_grad():
            nn.init.uniform_(self.embedding.weight, -EMBEDDING_INIT, EMBEDDING_INIT)
            self.embedding.weight[PAD_ID].zero_()
        self.convs = nn.ModuleList(
            nn.Conv1d(params.embedding_dim, params.num_filters, k, padding=k // 2) for k in params.kernel_sizes
        )
        self.pool_time = MaskedMaxPool()
        self.dropout = nn.Dropout(params.dropout)
        self.embedding_dropout = nn.Dropout(params.embedding_dropout)
        self.dense = nn.Linear(params.num_filters * len(params.kernel_sizes), params.dense_units)
        self.out = nn.Linear(params.dense_units, num_classes)
        # Filled by forward_embedded so that forward hooks see each stage as a module output.
        self.concat = nn.Identity()
        self.dense_act = nn.ReLU()

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        x = self.embedding_dropout(embedded).transpose(1, 2)  # (B, E, T)
        t = x.shape[2]
        pooled = [self.pool_time(F.relu(conv(x))[:, :, :t], lengths) for conv in self.convs]
        features = self.concat(torch.cat(pooled, dim=1))
        hidden = self.dense_act(self.dense(self.dropout(features)))
        logits: Tensor = self.out(self.dropout(hidden))
        return logits

    def latent_layers(self) -> dict[str, nn.Module]:
        layers: dict[str, nn.Module] = {"embedding": self.embedding}
        for k, conv in zip(self.params.kernel_sizes, self.convs, strict=True):
            layers[f"conv{k}"] = conv
        # Not `concat`: it is exactly conv3|conv4|conv5 side by side, so as a block of its own it would count
        # the convolutions twice on the map (4 of 6 equally weighted blocks).
        layers["dense"] = self.dense_act
        return layers

    def pool(self, name: str, output: Tensor, lengths: Tensor) -> Tensor:
        if name.startswith("conv"):
            t = int(lengths.max().item())
            pooled: Tensor = self.pool_time(F.relu(output)[:, :, :t], lengths)
            return pooled
        return super().pool(name, output, lengths)

    def min_length(self) -> int:
        return 1

    def describe(self) -> dict[str, Any]:
        p = self.params
        def count(m: nn.Module) -> int:
            return sum(x.numel() for x in m.parameters())
        nodes: list[dict[str, Any]] = [
            {"id": "input", "kind": "input", "label": "token ids", "shape": ["B", "T"], "params": 0},
            {"id": "embedding", "kind": "embedding",
             "label": f"Embedding {self.embedding.num_embeddings}×{p.embedding_dim}",
             "shape": ["B", "T", p.embedding_dim], "params": count(self.embedding)},
        ]
        edges: list[dict[str, str]] = [{"source": "input", "target": "embedding"}]
        for k, conv in zip(p.kernel_sizes, self.convs, strict=True):
            nodes.append({"id": f"conv{k}", "kind": "conv1d", "label": f"Conv1d k={k}, {p.num_filters} filters + ReLU",
                          "shape": ["B", p.num_filters, "T"], "params": count(conv)})
            nodes.append({"id": f"pool{k}", "kind": "pool", "label": "max over time",
                          "shape": ["B", p.num_filters], "params": 0})
            edges += [{"source": "embedding", "target": f"conv{k}"}, {"source": f"conv{k}", "target": f"pool{k}"},
                      {"source": f"pool{k}", "target": "concat"}]
        width = p.num_filters * len(p.kernel_sizes)
        nodes += [
            {"id": "concat", "kind": "concat", "label": "concatenate", "shape": ["B", width], "params": 0},
            {"id": "dropout", "kind": "dropout", "label": f"Dropout {p.dropout}", "shape": ["B", width], "params": 0},
            {"id": "dense", "kind": "dense", "label": f"Dense {p.dense_units} + ReLU", "shape": ["B", p.dense_units],
             "params": count(self.dense)},
            {"id": "logits", "kind": "dense", "label": f"Dense {self.num_classes}", "shape": ["B", self.num_classes],
             "params": count(self.out)},
            {"id": "loss", "kind": "loss", "label": "cross-entropy", "shape": [], "params": 0},
            {"id": "optimizer", "kind": "optimizer", "label": f"{p.optimizer} lr={p.learning_rate}", "shape": [],
             "params": 0},
        ]
        edges += [{"source": "concat", "target": "dropout"}, {"source": "dropout", "target": "dense"},
                  {"source": "dense", "target": "logits"}, {"source": "logits", "target": "loss"},
                  {"source": "loss", "target": "optimizer"}]
        return {"architecture": self.architecture, "nodes": nodes, "edges": edges,
                "total_params": count(self)}
