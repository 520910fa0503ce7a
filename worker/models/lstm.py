"""Stacked LSTM / BiLSTM in which padding never reaches a real token's state.

A review's logits do not depend on what it is batched with. Two ways to get there, chosen by device:
- CUDA: packed sequences (`enforce_sorted=False`, so batches keep their order); cuDNN runs them
  natively and never feeds padding through the recurrence.
- CPU: PyTorch's packed LSTM backward slices the packed input once per time step and materialises a
  full-size gradient for each slice, so its cost grows with the square of the length (measured on a
  2-core CPU, BiLSTM 128 units, 64 reviews of 400 words: 10.7 s backward packed, 0.34 s padded). On
  CPU each direction therefore runs as a one-direction LSTM (oneDNN's kernel) on a padded batch in
  which every review's padding comes after its real words: the reverse direction reads each review
  reversed within its own length. The recurrence still runs over the padding of the batch's shorter
  reviews, but only after their last real word, so no real output or final state ever sees it
  (bucketed batches keep that padding to a few percent). `tests/unit/test_lstm_directions.py`
  checks outputs, final states and gradients against the packed run.
The layers are separate single-layer LSTMs rather than one `num_layers` LSTM so that every layer's
sequence output can be tapped for the multi-layer latent map.

`pooling` picks what the head reads: the last layer's final states (`last`, the reference write-ups'
model), the element-wise maximum of its outputs over a review's real words (`max`), or both joined
(`last_max`). On an 800-word review the final state has to carry the opening through hundreds of
steps; the maximum sees every position.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from backend.core.specs.architectures import LstmParams
from backend.core.text.tokenizer import PAD_ID
from worker.models.base import TextClassifier, length_mask
from worker.models.graph import LayerGraph
from worker.models.word_vectors import WordVectorsError, read_vectors_file


class TextLSTM(TextClassifier):
    def __init__(self, vocab_size: int, num_classes: int, params: LstmParams, architecture: str = "lstm",
                 vocab: list[str] | None = None, fitted: npt.NDArray[np.float32] | None = None) -> None:
        """`vocab` and `fitted` (the train split's vectors, worker/models/fitted_vectors.py) are for a model
        about to train; a restored one takes every weight from its checkpoint."""
        super().__init__()
        self.architecture = architecture
        self.params = params
        self.num_classes = num_classes
        self.embedding = nn.Embedding(vocab_size, params.embedding_dim, padding_idx=PAD_ID)
        self.vector_coverage: float | None = None
        if params.pretrained_vectors is not None and vocab is not None:
            self.load_vectors(params.pretrained_vectors, vocab)
        elif params.fitted_vectors and fitted is not None:
            if fitted.shape != self.embedding.weight.shape:
                raise ValueError(f"fitted vectors {fitted.shape}, embedding {tuple(self.embedding.weight.shape)}")
            found = torch.from_numpy(np.abs(fitted).sum(axis=1) > 0)
            with torch.no_grad():  # a word the fit left at zero (it never met another) keeps its random row
                self.embedding.weight[found] = torch.from_numpy(fitted)[found]
        if params.freeze_embeddings:
            self.embedding.weight.requires_grad_(False)
        dirs = 2 if params.bidirectional else 1
        self.width = params.hidden_size * dirs
        self.pooled_width = self.width * (2 if params.pooling == "last_max" else 1)
        self.rnns = nn.ModuleList(
            nn.LSTM(params.embedding_dim if i == 0 else self.width, params.hidden_size, batch_first=True,
                    bidirectional=params.bidirectional)
            for i in range(params.layers)
        )
        # Identity taps: forward hooks on them see each layer's padded (B, T, width) output.
        self.taps = nn.ModuleList(nn.Identity() for _ in range(params.layers))
        self.final = nn.Identity()
        self.dropout = nn.Dropout(params.dropout)
        self.dense = nn.Linear(self.pooled_width, params.dense_units)
        self.dense_act = nn.ReLU()
        self.out = nn.Linear(params.dense_units, num_classes)

    def load_vectors(self, path: str, vocab: list[str]) -> None:
        if len(vocab) != self.embedding.num_embeddings:
            raise WordVectorsError(f"vocab has {len(vocab)} words, the embedding "
                                   f"{self.embedding.num_embeddings}")
        wv = read_vectors_file(path, vocab)
        if wv.dim != self.params.embedding_dim:
            raise WordVectorsError(f"{path} holds {wv.dim}-dimensional vectors but embedding_dim is "
                                   f"{self.params.embedding_dim}; set embedding_dim={wv.dim}")
        with torch.no_grad():
            found = torch.from_numpy(wv.found)
            self.embedding.weight[found] = torch.from_numpy(wv.vectors[wv.found])
        self.vector_coverage = wv.coverage

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        layers = self._packed_layers if embedded.is_cuda else self._padded_layers
        last, outputs = layers(embedded, lengths)
        final = self.final(self._pool(last, outputs, lengths))
        hidden = self.dense_act(self.dense(self.dropout(final)))
        return self.out(self.dropout(hidden))  # type: ignore[no-any-return]

    def _pool(self, last: Tensor, outputs: Tensor, lengths: Tensor) -> Tensor:
        """What the head reads (see `pooling` in the module docstring): (B, pooled_width)."""
        if self.params.pooling == "last":
            return last
        steps = outputs.shape[1]
        real = length_mask(lengths.clamp(min=1, max=steps).to(outputs.device), steps)[:, :, None]
        highest = outputs.masked_fill(~real, float("-inf")).amax(dim=1)
        return highest if self.params.pooling == "max" else torch.cat([last, highest], dim=1)

    def _packed_layers(self, embedded: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Runs every layer on packed sequences, tapping its padded output; returns the last
        layer's final hidden states (B, width) and its padded outputs (B, T, width)."""
        batch, steps, _ = embedded.shape
        # Captum and the gradient methods backprop through the model in eval mode, which cuDNN's RNN
        # refuses; the native kernel handles it.
        no_cudnn = embedded.is_cuda and not self.training and torch.is_grad_enabled()
        ctx = torch.backends.cudnn.flags(enabled=False) if no_cudnn else contextlib.nullcontext()
        x = pack_padded_sequence(self.dropout(embedded), lengths.clamp(min=1).cpu(), batch_first=True,
                                 enforce_sorted=False)
        h = outputs = embedded.new_zeros(0)
        with ctx:
            for i, (rnn, tap) in enumerate(zip(self.rnns, self.taps, strict=True)):
                if i > 0:
                    x = x._replace(data=self.dropout(x.data))
                x, (h, _) = rnn(x)
                outputs = pad_packed_sequence(x, batch_first=True, total_length=steps)[0]
                tap(outputs)
        # h: (directions, B, hidden) of the last layer, already back in batch order.
        return h.transpose(0, 1).reshape(batch, self.width), outputs

    def _padded_layers(self, embedded: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """The same as `_packed_layers` on a padded batch (see the module docstring)."""
        steps = embedded.shape[1]
        n = lengths.clamp(min=1, max=steps).to(embedded.device)
        real = length_mask(n, steps)
        t = torch.arange(steps, device=embedded.device)[None, :]
        # Position t of a review reversed within its length; padding stays where it is. Its own inverse.
        flip = torch.where(real, n[:, None] - 1 - t, t)[:, :, None]

        def reversed_words(seq: Tensor) -> Tensor:
            return seq.gather(1, flip.expand_as(seq))

        def at_last_word(seq: Tensor) -> Tensor:
            return seq.gather(1, (n - 1)[:, None, None].expand(-1, 1, seq.shape[2])).squeeze(1)

        x = self.dropout(embedded)
        finals: list[Tensor] = []
        for i, (rnn, tap) in enumerate(zip(self.rnns, self.taps, strict=True)):
            assert isinstance(rnn, nn.LSTM)
            if i > 0:
                x = self.dropout(x)
            forward = run_direction(rnn, x, reverse=False)
            finals, outputs = [at_last_word(forward)], [forward]
            if rnn.bidirectional:
                backward = run_direction(rnn, reversed_words(x), reverse=True)
                # After reading a review backwards, its state is at the review's last position.
                finals.append(at_last_word(backward))
                outputs.append(reversed_words(backward))
            x = torch.cat(outputs, dim=2) * real[:, :, None].to(embedded.dtype)
            tap(x)
        return torch.cat(finals, dim=1), x

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
        source = ("GloVe-initialised " if p.pretrained_vectors else
                  "train-split-vector-initialised " if p.fitted_vectors else "")
        frozen = ", frozen" if p.freeze_embeddings else ""
        size = f"{self.embedding.num_embeddings}x{p.embedding_dim}"
        g.add("embedding", "embedding", f"{source}Embedding {size}{frozen}", ["B", "T", p.embedding_dim],
              self.embedding)
        g.add("pack", "pack", "padding never reaches a real word (packed on CUDA; on CPU, after each "
              "review's words in both directions)", ["B", "T", p.embedding_dim])
        for i, rnn in enumerate(self.rnns, start=1):
            between = f", dropout {p.dropout}" if i > 1 else ""
            g.add(f"lstm{i}", "lstm", f"{kind} {p.hidden_size} units{between}", ["B", "T", self.width], rnn)
        both = " (both directions)" if p.bidirectional else ""
        pooled = {"last": f"final hidden states{both}", "max": f"maximum over the words of lstm{p.layers}",
                  "last_max": f"final hidden states{both} | maximum over the words of lstm{p.layers}"}
        g.add("final", "concat", pooled[p.pooling], ["B", self.pooled_width])
        g.add("dropout", "dropout", f"Dropout {p.dropout}", ["B", self.pooled_width])
        g.add("dense", "dense", f"Dense {p.dense_units} + ReLU", ["B", p.dense_units], self.dense)
        g.add("logits", "dense", f"Dense {self.num_classes}", ["B", self.num_classes], self.out)
        return g.finish(self, self.architecture, "cross-entropy", f"{p.optimizer} lr={p.learning_rate}")


def run_direction(rnn: nn.LSTM, x: Tensor, reverse: bool) -> Tensor:
    """One direction of a single-layer, batch-first `rnn` over a padded (B, T, input) batch, from zero
    state, with that direction's own weights: (B, T, hidden). On CPU this is oneDNN's LSTM kernel."""
    suffix = "_reverse" if reverse else ""
    weights = [getattr(rnn, f"{name}_l0{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    h0 = x.new_zeros(1, x.shape[0], rnn.hidden_size)
    # `train` makes oneDNN keep what its backward needs; with dropout 0 it changes nothing else.
    # Captum backprops through the model in eval mode, where the slower fallback would run (3x).
    train = rnn.training or torch.is_grad_enabled()
    out, _, _ = torch.lstm(x, (h0, h0), weights, True, 1, 0.0, train, False, True)
    return out
