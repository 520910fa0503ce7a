"""Pretrained word vectors from a user-supplied GloVe text file, mapped onto our vocabulary.

GloVe's text format is one word per line followed by its floats, separated by spaces. The file is
streamed (GloVe 840B is 5 GB), and only the rows of words in our vocabulary are kept. Our
tokenizer lower-cases, so a cased file (840B) is matched case-insensitively as a fallback; the
first (most frequent) cased variant wins, and an exact match always beats it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backend.core.data.import_paths import ImportPathRefused, resolve_vectors_file
from backend.core.settings import get_settings
from backend.core.text.tokenizer import OOV_ID, PAD_ID, TextTokenizer

log = logging.getLogger(__name__)


class WordVectorsError(ValueError):
    pass


@dataclass(frozen=True)
class WordVectors:
    vectors: np.ndarray  # (V, D) float32; rows of words not in the file are zero
    found: np.ndarray  # (V,) bool: the row came from the file
    dim: int

    @property
    def coverage(self) -> float:
        """Share of real words (not [PAD]/[OOV]) that the file covers."""
        real = self.found[2:]
        return float(real.mean()) if real.size else 0.0


def vocabulary(tokenizer: TextTokenizer) -> list[str]:
    """Our vocabulary as a list, id -> word (the `vocab` argument of build_model)."""
    return [tokenizer.id_to_token(i) for i in range(tokenizer.vocab_size)]


def read_vectors_file(raw: str, vocab: list[str]) -> WordVectors:
    """A version's `pretrained_vectors`, read only from an import root (the API checks it too, at creation;
    this is the check that every path to the file passes: versions, retrains, sweep trials)."""
    try:
        path = resolve_vectors_file(raw, get_settings())
    except ImportPathRefused as e:
        raise WordVectorsError(str(e)) from None
    return load_glove(path, vocab)


def load_glove(path: str | Path, vocab: list[str]) -> WordVectors:
    path = Path(path)
    if not path.is_file():
        raise WordVectorsError(f"word vector file not found: {path}")
    index = {w: i for i, w in enumerate(vocab) if i not in (PAD_ID, OOV_ID)}
    rows: dict[int, np.ndarray] = {}
    exact: set[int] = set()
    dim: int | None = None
    with path.open(encoding="utf-8", errors="strict") as f:
        for line_no, line in enumerate(f, start=1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec-style "count dim" header
            if len(parts) < 2:
                if not line.strip():
                    continue
                raise WordVectorsError(f"{path}:{line_no}: expected a word followed by numbers")
            word, values = parts[0], parts[1:]
            if dim is None:
                dim = len(values)
            elif len(values) != dim:
                raise WordVectorsError(f"{path}:{line_no}: {len(values)} numbers, expected {dim}")
            i = index.get(word)
            is_exact = i is not None
            if i is None:
                i = index.get(word.lower())
            if i is None or i in exact or (not is_exact and i in rows):
                continue
            try:
                rows[i] = np.asarray(values, dtype=np.float32)
            except ValueError as e:
                raise WordVectorsError(f"{path}:{line_no}: not a number in the vector of {word!r}") from e
            if is_exact:
                exact.add(i)
    if dim is None:
        raise WordVectorsError(f"{path}: no vectors in the file")
    vectors = np.zeros((len(vocab), dim), dtype=np.float32)
    found = np.zeros(len(vocab), dtype=bool)
    for i, v in rows.items():
        vectors[i] = v
        found[i] = True
    result = WordVectors(vectors=vectors, found=found, dim=dim)
    log.info("word vectors %s: %d-dim, %d of %d words covered (%.1f%%)", path, dim, int(found.sum()),
             max(len(vocab) - 2, 0), 100 * result.coverage)
    return result
