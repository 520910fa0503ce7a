"""What the attribution methods explain: class probabilities, as nn.Modules Captum can hook.

Two classes use a sigmoid of the logit difference, which equals the softmax but makes
p(class 0) = 1 - p(class 1) hold exactly in the graph: every method that is linear in the
explained output then gives class 0 exactly the negated scores of class 1, so one run covers both.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from worker.models.base import TextClassifier


class _ProbabilityHead(nn.Module):
    def __init__(self, model: TextClassifier) -> None:
        super().__init__()
        self.model = model
        # Modules, not functions, so that DeepLift applies its rescale rule to them.
        self.sigmoid = nn.Sigmoid()
        self.softmax = nn.Softmax(dim=-1)

    def probabilities(self, logits: Tensor) -> Tensor:
        if logits.shape[-1] == 2:
            p1 = self.sigmoid(logits[:, 1] - logits[:, 0])
            return torch.stack([1 - p1, p1], dim=-1)
        return self.softmax(logits)  # type: ignore[no-any-return]


class TokenProbabilities(_ProbabilityHead):
    """(token_ids, lengths) -> (B, C) probabilities: for methods on the embedding *layer*."""

    def forward(self, token_ids: Tensor, lengths: Tensor) -> Tensor:
        return self.probabilities(self.model(token_ids, lengths))


class EmbeddedProbabilities(_ProbabilityHead):
    """(embedded, lengths) -> (B, C) probabilities: for methods on the embedding *output* as input."""

    def forward(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        return self.probabilities(self.model.forward_embedded(embedded, lengths))
