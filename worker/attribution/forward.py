"""Batched forward passes over token id lists of different lengths (no gradients)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch

from backend.core.text.tokenizer import PAD_ID
from worker.attribution.heads import TokenProbabilities
from worker.models.base import TextClassifier


def predict_ids(model: TextClassifier, sequences: Sequence[Sequence[int]],
                batch_size: int = 64) -> npt.NDArray[np.float64]:
    """(N, C) class probabilities. An empty sequence is read as a single [PAD] (nothing left)."""
    head = TokenProbabilities(model)
    min_len = max(1, model.min_length())
    out: list[npt.NDArray[np.float64]] = []
    with torch.no_grad():
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start:start + batch_size]
            lengths = [max(len(s), 1) for s in chunk]
            width = max(max(lengths), min_len)
            ids = torch.full((len(chunk), width), PAD_ID, dtype=torch.long)
            for row, seq in enumerate(chunk):
                if len(seq):
                    ids[row, :len(seq)] = torch.as_tensor(seq, dtype=torch.long)
            probs = head(ids, torch.as_tensor(lengths, dtype=torch.long))
            out.append(probs.double().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))
