"""Encoded datasets in the artifact store: one flat int32 array of token ids plus offsets.

Row i (the sample with `index == i`) is `ids[offsets[i]:offsets[i+1]]`, already cut to max_length.
Training and evaluation memory-map these instead of re-tokenising 50k reviews every epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.core.artifacts.keys import ids_key, offsets_key, tokenizer_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.text.tokenizer import Encoded, TextTokenizer


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
    save_token_rows(store, dataset_id, tokenizer, [np.asarray(e.model_ids, dtype=np.int32) for e in encoded])


def save_token_rows(store: ArtifactStore, dataset_id: int, tokenizer: TextTokenizer,
                    rows: Sequence[npt.NDArray[np.int32]]) -> None:
    """Like `save_tokens`, from rows already cut to max_length (the importer encodes in chunks and
    keeps only these, not 50k `Encoded` objects with their token strings and spans)."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(rows).astype(np.int32, copy=False) if rows else np.zeros(0, dtype=np.int32)
    store.put_bytes(tokenizer_key(dataset_id), tokenizer.to_json().encode())
    store.put_array(ids_key(dataset_id), ids)
    store.put_array(offsets_key(dataset_id), offsets)


def load_tokens(store: ArtifactStore, dataset_id: int) -> TokenArrays:
    return TokenArrays(ids=store.get_array(ids_key(dataset_id)).astype(np.int32, copy=False),  # type: ignore[arg-type]
                       offsets=store.get_array(offsets_key(dataset_id)).astype(np.int64, copy=False))  # type: ignore[arg-type]


def load_tokenizer(store: ArtifactStore, dataset_id: int) -> TextTokenizer:
    return TextTokenizer.from_json(store.get_bytes(tokenizer_key(dataset_id)))
