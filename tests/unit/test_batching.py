from __future__ import annotations

import numpy as np
import pytest

from backend.core.text.token_store import TokenArrays
from worker.pipeline.batching import bucketed_batches, collate, sorted_batches


def _lengths(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 400, size=n).astype(np.int64)


def _arrays(lengths: np.ndarray) -> TokenArrays:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = (np.arange(offsets[-1]) % 97 + 2).astype(np.int32)
    return TokenArrays(ids=ids, offsets=offsets)


@pytest.mark.parametrize(("batch_size", "chunk"), [(64, 50), (7, 3), (1000, 1), (5, 10_000)])
def test_every_index_exactly_once(batch_size: int, chunk: int) -> None:
    lengths = _lengths(1234)
    indices = np.arange(0, 1234, 2)  # a subset of the rows, like the train split
    batches = bucketed_batches(lengths, indices, batch_size, chunk, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == indices.tolist()
    assert all(0 < len(b) <= batch_size for b in batches)


def test_batches_are_sorted_within_chunks() -> None:
    lengths = _lengths(3200)
    batch_size, chunk = 32, 10
    rng = np.random.default_rng(3)
    perm = np.random.default_rng(3).permutation(np.arange(3200))
    batches = bucketed_batches(lengths, np.arange(3200), batch_size, chunk, rng)
    for b in batches:
        assert np.all(np.diff(lengths[b]) >= 0), "a batch is not sorted by length"
    # Rebuilding the chunk each batch came from: the chunk's batches tile its sorted lengths.
    for c in range(0, 3200, batch_size * chunk):
        members = set(perm[c:c + batch_size * chunk].tolist())
        in_chunk = [b for b in batches if set(b.tolist()) <= members]
        assert sum(len(b) for b in in_chunk) == len(members)
        ordered = sorted(in_chunk, key=lambda b: (lengths[b].min(), lengths[b].max()))
        joined = np.concatenate([lengths[b] for b in ordered])
        assert np.all(np.diff(joined) >= 0)


def test_seeded_determinism_and_shuffled_batch_order() -> None:
    lengths = _lengths(2000)
    a = bucketed_batches(lengths, np.arange(2000), 50, 8, np.random.default_rng(7))
    b = bucketed_batches(lengths, np.arange(2000), 50, 8, np.random.default_rng(7))
    c = bucketed_batches(lengths, np.arange(2000), 50, 8, np.random.default_rng(8))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    # Batch order is shuffled: the batches' max lengths are not monotone across the epoch.
    maxes = [int(lengths[x].max()) for x in a]
    assert maxes != sorted(maxes)


def test_bucketing_pads_far_less_than_padding_to_max() -> None:
    lengths = _lengths(5000)
    arrays = _arrays(lengths)
    batches = bucketed_batches(lengths, np.arange(5000), 64, 50, np.random.default_rng(0))
    bucketed = sum(len(b) * int(lengths[b].max()) for b in batches)
    full = 5000 * int(lengths.max())
    assert bucketed < 0.6 * full
    assert bucketed - int(lengths.sum()) < 0.1 * (full - int(lengths.sum()))
    ids, _ = collate(arrays, batches[0])
    assert ids.shape == (len(batches[0]), int(lengths[batches[0]].max()))


def test_collate_pads_with_zero_to_batch_longest() -> None:
    lengths = np.array([3, 0, 5, 1], dtype=np.int64)
    arrays = _arrays(lengths)
    ids, lens = collate(arrays, [0, 2, 1])
    assert ids.shape == (3, 5)
    assert lens.tolist() == [3, 5, 0]
    assert ids[0, :3].tolist() == arrays.row(0).tolist() and ids[0, 3:].tolist() == [0, 0]
    assert ids[1].tolist() == arrays.row(2).tolist()
    assert ids[2].tolist() == [0] * 5
    # A minimum width (e.g. the widest convolution) pads further.
    assert collate(arrays, [3], min_length=4)[0].shape == (1, 4)


def test_sorted_batches_cover_rows_in_length_order() -> None:
    lengths = _lengths(100)
    batches = sorted_batches(lengths, np.arange(10, 100), 16)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(10, 100))
    assert np.all(np.diff(lengths[flat]) >= 0)
