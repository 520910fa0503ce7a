"""Every class's probability for every sample at an epoch, kept when a dataset has three or more classes.

`sample_result` holds p(class 1) and p(label): enough for two classes, but with three a sample labelled
2 says nothing of its p(class 0), and one-vs-rest curves need every class's probability for every
sample. So the epoch's (N, C) float32 softmax is an artifact, `versions/{vid}/epoch_{e}/class_probs.npy`,
row i = the sample with dataset index i, written before the epoch commits (like the checkpoint).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backend.core.artifacts.keys import class_probs_key
from backend.core.artifacts.store import ArtifactStore


def keeps_class_probabilities(num_classes: int) -> bool:
    """Two classes need nothing beyond p(class 1), which every result row holds."""
    return num_classes > 2


def save_class_probabilities(store: ArtifactStore, version_id: int, epoch: int,
                             probs: npt.NDArray[np.floating]) -> int:
    return store.put_array(class_probs_key(version_id, epoch), np.asarray(probs, dtype=np.float32))


def load_class_probabilities(store: ArtifactStore, version_id: int, epoch: int) -> npt.NDArray[np.float32] | None:
    """The (N, C) probabilities, or None for an epoch that kept none (two classes, or trained before)."""
    try:
        return np.asarray(store.get_array(class_probs_key(version_id, epoch)), dtype=np.float32)
    except KeyError:
        return None
