"""Encoded datasets in the artifact store: one flat int32 array of token ids plus offsets.

Row i (the sample with `index == i`) is `ids[offsets[i]:offsets[i+1]]`, already cut to max_length.
Training and evaluation memory-map these instead of re-tokenising 50k reviews every epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.artifacts import ArtifactStore
from backend.text.tokenizer import Encoded, TextTokenizer


def tokenizer_key(dataset_id: int) -> str:
    return f"datasets/{dataset_id}/tokenizer.json"


def ids_key(dataset_id: int) -> str:
    return f"datasets/{dataset_id}/token_ids.npy"


def offsets_key(dataset_id: int) -> str:
    return f"datasets/{dataset_id}/token_offsets.npy"


@dataclass(frozen=True)
class TokenArrays:
    ids: npt.NDArray[np.int32]
    offsets: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> npt.NDArray[np.int32]:
        return self.ids[self.offsets[i]: self.offsets[i + 1]]

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.offsets)


def save_tokens(store: ArtifactStore, dataset_id: int, tokenizer: TextTokenizer,
                encoded: Sequence[Encoded]) -> None:
    """Write tokenizer and arrays for samples given in `index` order."""
    lengths = np.array([len(e.model_ids) for e in encoded], dtype=np.int64)
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter((i for e in encoded for i in e.model_ids), dtype=np.int32, count=int(offsets[-1]))
    store.put_bytes(tokenizer_key(dataset_id), tokenizer.to_json().encode())
    store.put_array(ids_key(dataset_id), ids)
    store.put_array(offsets_key(dataset_id), offsets)


def load_tokens(store: ArtifactStore, dataset_id: int) -> TokenArrays:
    return TokenArrays(ids=store.get_array(ids_key(dataset_id)).astype(np.int32, copy=False),  # type: ignore[arg-type]
                       offsets=store.get_array(offsets_key(dataset_id)).astype(np.int64, copy=False))  # type: ignore[arg-type]


def load_tokenizer(store: ArtifactStore, dataset_id: int) -> TextTokenizer:
    return TextTokenizer.from_json(store.get_bytes(tokenizer_key(dataset_id)))
