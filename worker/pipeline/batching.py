"""Length bucketing: batches of similar-length reviews, padded only to their own longest sample.

Sorting the whole training set by length would give the same batches every epoch in nearly the
same order; sorting within chunks of `chunk_batches` batches of a fresh shuffle keeps the batches
random while cutting padding to almost nothing. The batch order is shuffled again afterwards, so
the model never sees a run of short (or long) reviews.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from backend.core.text.token_store import TokenArrays

IntArray = npt.NDArray[np.int64]


def bucketed_batches(lengths: npt.NDArray[np.integer], indices: npt.ArrayLike, batch_size: int,
                     chunk_batches: int, rng: np.random.Generator) -> list[IntArray]:
    """Every index exactly once, in batches sorted by length within each chunk; seeded by `rng`.

    `lengths` is indexed by row (the dataset's sample index); `indices` are the rows to use.
    """
    perm = rng.permutation(np.asarray(indices, dtype=np.int64))
    chunk = batch_size * chunk_batches
    batches: list[IntArray] = []
    for start in range(0, len(perm), chunk):
        part = perm[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def sorted_batches(lengths: npt.NDArray[np.integer], indices: npt.ArrayLike,
                   batch_size: int) -> list[IntArray]:
    """All rows sorted by length, cut into batches: the least padding, for evaluation."""
    rows = np.asarray(indices, dtype=np.int64)
    rows = rows[np.argsort(lengths[rows], kind="stable")]
    return [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]


def collate(arrays: TokenArrays, rows: npt.ArrayLike,
            min_length: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(token_ids (B, T) padded with PAD=0, lengths (B,)); T is the batch's longest sample."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = arrays.offsets[rows]
    lengths = arrays.offsets[rows + 1] - starts
    width = max(int(lengths.max(initial=0)), min_length, 1)
    pos = np.arange(width)
    real = pos[None, :] < lengths[:, None]
    out = np.zeros((len(rows), width), dtype=np.int64)
    out[real] = arrays.ids[(starts[:, None] + pos[None, :])[real]]
    return torch.from_numpy(out), torch.from_numpy(lengths.astype(np.int64))
