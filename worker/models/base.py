"""The contract between an architecture and the rest of the pipeline.

Training, evaluation, the multi-layer latent map and Captum attribution all talk to a model only
through this interface, so a new architecture plugs in by subclassing it:

- input:  `token_ids` (B, T) int64, padded with PAD_ID (backend.core.text.tokenizer), and `lengths` (B,)
  int64 (real tokens);
- output: logits (B, num_classes);
- `embedding`: the nn.Embedding that Captum's layer methods attribute to;
- `forward_embedded(embedded, lengths)`: the rest of the network from embeddings, for methods that
  perturb the embedding space directly (gradient×input, GradientShap);
- `latent_layers()`: named modules whose outputs are pooled into one vector per sample;
- `pool(name, output, lengths)`: how each layer's output becomes a (B, D) vector;
- `loss_fn(logits, labels, reduction)`: the training objective (cross-entropy unless the
  architecture's hyperparameters choose another), used by training and per-sample evaluation;
- optionally `forward_pooled(token_ids, lengths)` (with `fused_pooling = True`): logits and every latent
  layer's pooled vector in one pass, without materialising the layers' outputs, for the bulk inference
  passes (evaluating every sample, the map's vectors). Attribution keeps `forward`, whose layers it hooks.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def length_mask(lengths: Tensor, max_len: int) -> Tensor:
    """(B, T) bool, True on real tokens."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def masked_mean(x: Tensor, lengths: Tensor) -> Tensor:
    """Mean over time of (B, T, D) counting real tokens only."""
    mask = length_mask(lengths, x.shape[1]).unsqueeze(-1).to(x.dtype)
    return (x * mask).sum(1) / lengths.clamp(min=1).unsqueeze(-1).to(x.dtype)


Reduction = Literal["mean", "sum", "none"]


def classification_loss(kind: str, logits: Tensor, labels: Tensor, reduction: Reduction = "mean") -> Tensor:
    """`cross_entropy` on logits (binary cross-entropy for two classes), or `mse` between the softmax
    probabilities and the one-hot labels (summed over classes, so `none` still gives one loss per sample)."""
    if kind == "cross_entropy":
        return F.cross_entropy(logits, labels, reduction=reduction)
    if kind == "mse":
        target = F.one_hot(labels, logits.shape[-1]).to(logits.dtype)
        per_sample = (logits.softmax(-1) - target).pow(2).sum(-1)
        if reduction == "none":
            return per_sample
        return per_sample.sum() if reduction == "sum" else per_sample.mean()
    raise ValueError(f"unknown loss {kind!r}")


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


class TextClassifier(nn.Module):
    architecture: str = "base"
    embedding: nn.Embedding
    num_classes: int
    # True where `forward_pooled` is implemented: inference then skips forward() and its layer hooks.
    fused_pooling: ClassVar[bool] = False
    # Most torch threads worth giving a CPU pass (worker/pipeline/device.py, model_threads); None: all.
    max_threads: ClassVar[int | None] = None

    def forward(self, token_ids: Tensor, lengths: Tensor) -> Tensor:
        return self.forward_embedded(self.embedding(token_ids), lengths)

    def forward_embedded(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        raise NotImplementedError

    def latent_layers(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def forward_pooled(self, token_ids: Tensor, lengths: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """`forward`'s logits and {latent layer: what `pool` makes of its output}, equal to them up to
        float rounding, for architectures with `fused_pooling` (inference only: no layer hook fires)."""
        raise NotImplementedError

    def pool(self, name: str, output: Tensor, lengths: Tensor) -> Tensor:
        """Default: outputs of shape (B, T, D) are mean-pooled over real tokens; (B, D) pass through."""
        if output.dim() == 3:
            return masked_mean(output, lengths)
        return output.reshape(output.shape[0], -1)

    def loss_fn(self, logits: Tensor, labels: Tensor, reduction: Reduction = "mean") -> Tensor:
        """Training objective; `reduction="none"` gives per-sample losses for the evaluation tables."""
        return classification_loss("cross_entropy", logits, labels, reduction)

    def max_input_tokens(self) -> int | None:
        """Most tokens of a review the network reads (None: all the tokenizer keeps). Attribution and its
        faithfulness scores use min(the tokenizer's max_length, this) as the visible limit and flag the rest,
        so that words the model never saw are not shown with a score of exactly 0."""
        return None

    def min_length(self) -> int:
        """Shortest input the network accepts (e.g. the widest convolution kernel)."""
        return 1

    def describe(self) -> dict[str, Any]:
        """The layer graph for the network view: nodes with output shapes and parameter counts."""
        raise NotImplementedError
