"""Stacked LSTM / BiLSTM over packed sequences.

Sequences are packed (`enforce_sorted=False`, so batches keep their order), which means padding is
never fed through the recurrence: a review's logits do not depend on what it is batched with. The
layers are separate single-layer LSTMs rather than one `num_layers` LSTM so that every layer's
sequence output can be tapped for the multi-layer latent map.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from backend.architectures import LstmParams
from worker.models.base import PAD_ID, TextClassifier
from worker.models.graph import LayerGraph
from worker.models.word_vectors import WordVectorsError, load_glove


class TextLSTM(TextClassifier):
    def __init__(self, vocab_size: int, num_classes: int, params: LstmParams, architecture: str = "lstm",
                 vocab: list[str] | None = None) -> None:
        super().__init__()
        self.architecture = architecture
        self.params = params
        self.num_classes = num_classes
        self.embedding = nn.Embedding(vocab_size, params.embedding_dim, padding_idx=PAD_ID)
        self.vector_coverage: float | None = None
        if params.pretrained_vectors is not None and vocab is not None:
            self.load_vectors(params.pretrained_vectors, vocab)
        if params.freeze_embeddings:
            self.embedding.weight.requires_grad_(False)
        dirs = 2 if params.bidirectional else 1
        self.width = params.hidden_size * dirs
        self.rnns = nn.ModuleList(
            nn.LSTM(params.embedding_dim if i == 0 else self.width, params.hidden_size, batch_first=True,
                    bidirectional=params.bidirectional)
            for i in range(params.layers)
        )
        # Identity taps: forward hooks on them see each layer's padded (B, T, width) output.
        self.taps = nn.ModuleList(nn.Identity() for _ in range(params.layers))
        self.final = nn.Identity()
        self.dropout = nn.Dropout(params.dropout)
        self.dense = nn.Linear(self.width, params.dense_units)
        self.dense_act = nn.ReLU()
        self.out = nn.Linear(params.dense_units, num_classes)

    def load_vectors(self, path: str, vocab: list[str]) -> None:
        if len(vocab) != self.embedding.num_embeddings:
            raise WordVectorsError(f"vocab has {len(vocab)} words, the embedding "
                                   f"{self.embedding.num_embeddings}")
        wv = load_glove(path, vocab)
        if wv.dim != self.params.embedding_dim:
            raise WordVectorsError(f"{path} holds {wv.dim}-dimensional vectors but embedding_dim is "
                                   f"{self.params.embedding_dim}; set embedding_dim={wv.dim}")
        with torch.no_grad():
            found = torch.from_numpy(wv.found)
            self.embedding.weight[found] = torch.from_numpy(wv.vectors[wv.found])
        self.vector_coverage = wv.coverage

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        batch, steps, _ = embedded.shape
        # Captum and the gradient methods backprop through the model in eval mode, which cuDNN's RNN
        # refuses; the native kernel handles it.
        no_cudnn = embedded.is_cuda and not self.training and torch.is_grad_enabled()
        ctx = torch.backends.cudnn.flags(enabled=False) if no_cudnn else contextlib.nullcontext()
        x = pack_padded_sequence(self.dropout(embedded), lengths.clamp(min=1).cpu(), batch_first=True,
                                 enforce_sorted=False)
        h = embedded.new_zeros(0)
        with ctx:
            for i, (rnn, tap) in enumerate(zip(self.rnns, self.taps, strict=True)):
                if i > 0:
                    x = x._replace(data=self.dropout(x.data))
                x, (h, _) = rnn(x)
                tap(pad_packed_sequence(x, batch_first=True, total_length=steps)[0])
        # h: (directions, B, hidden) of the last layer, already back in batch order.
        final = self.final(h.transpose(0, 1).reshape(batch, self.width))
        hidden = self.dense_act(self.dense(self.dropout(final)))
        return self.out(self.dropout(hidden))  # type: ignore[no-any-return]

    def latent_layers(self) -> dict[str, nn.Module]:
        layers: dict[str, nn.Module] = {"embedding": self.embedding}
        for i, tap in enumerate(self.taps, start=1):
            layers[f"lstm{i}"] = tap  # (B, T, width): mean over real tokens by the default pool
        layers["final"] = self.final
        layers["dense"] = self.dense_act
        return layers

    def describe(self) -> dict[str, Any]:
        p = self.params
        kind = "BiLSTM" if p.bidirectional else "LSTM"
        g = LayerGraph()
        g.add("input", "input", "token ids", ["B", "T"])
        source = "GloVe-initialised " if p.pretrained_vectors else ""
        frozen = ", frozen" if p.freeze_embeddings else ""
        size = f"{self.embedding.num_embeddings}x{p.embedding_dim}"
        g.add("embedding", "embedding", f"{source}Embedding {size}{frozen}", ["B", "T", p.embedding_dim],
              self.embedding)
        g.add("pack", "pack", "pack padded sequence (padding skipped)", ["ΣT", p.embedding_dim])
        for i, rnn in enumerate(self.rnns, start=1):
            between = f", dropout {p.dropout}" if i > 1 else ""
            g.add(f"lstm{i}", "lstm", f"{kind} {p.hidden_size} units{between}", ["B", "T", self.width], rnn)
        g.add("final", "concat", "final hidden states" + (" (both directions)" if p.bidirectional else ""),
              ["B", self.width])
        g.add("dropout", "dropout", f"Dropout {p.dropout}", ["B", self.width])
        g.add("dense", "dense", f"Dense {p.dense_units} + ReLU", ["B", p.dense_units], self.dense)
        g.add("logits", "dense", f"Dense {self.num_classes}", ["B", self.num_classes], self.out)
        return g.finish(self, self.architecture, "cross-entropy", f"{p.optimizer} lr={p.learning_rate}")
