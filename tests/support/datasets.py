"""Small datasets written straight into the database and artifact store, for fast tests.

`insert_dataset` stores texts the way the IMDB import does (samples with index 0..N-1, a tokenizer
fitted on train only, token arrays via token_store), so training, evaluation and the API can be
tested without the import job. `synthetic_reviews` makes sentiment-like texts from small word lists,
so no review text is ever committed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.core.artifacts.keys import ids_key, tokenizer_key
from backend.core.artifacts.store import ArtifactStore
from backend.core.db.models import Dataset, Project, Sample
from backend.core.text import token_store
from backend.core.text.tokenizer import TextTokenizer

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "loved", "charming", "best", "fun",
            "touching"]
NEGATIVE = ["awful", "boring", "dull", "worst", "terrible", "waste", "poor", "bad", "lame", "stupid"]
NEUTRAL = ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "it", "was", "and", "of", "this",
           "director", "ending", "music", "character", "time", "really", "quite"]


@dataclass(frozen=True)
class SyntheticReviews:
    texts: list[str]
    labels: list[int]
    splits: list[str]


def synthetic_reviews(n: int, seed: int = 0, min_words: int = 5, max_words: int = 80,
                      split_fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                      noise: float = 0.1) -> SyntheticReviews:
    """`n` texts of varied length whose label is carried by a few sentiment words (with some noise)."""
    rng = random.Random(seed)
    texts, labels, splits = [], [], []
    n_train = int(n * split_fractions[0])
    n_val = int(n * split_fractions[1])
    for i in range(n):
        label = i % 2
        words = [rng.choice(NEUTRAL) for _ in range(rng.randint(min_words, max_words))]
        cue = POSITIVE if (label == 1) != (rng.random() < noise) else NEGATIVE
        for _ in range(max(2, len(words) // 5)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(cue))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words) + 1), "<br /><br />")
        texts.append(" ".join(words) + rng.choice([".", "!", "..."]))
        labels.append(label)
        splits.append("train" if i < n_train else "val" if i < n_train + n_val else "test")
    return SyntheticReviews(texts, labels, splits)


def create_project(session: Session, name: str = "test") -> Project:
    project = Project(name=name, description="", ui_state={})
    session.add(project)
    session.flush()
    return project


def insert_dataset(
    session: Session,
    store: ArtifactStore,
    project_id: int,
    texts: Sequence[str],
    labels: Sequence[int],
    splits: Sequence[str],
    *,
    name: str = "test",
    vocab_size: int = 2000,
    max_length: int = 128,
    classes: Sequence[str] = ("neg", "pos"),
    keys: Sequence[str] | None = None,
    scores: Sequence[int | None] | None = None,
) -> Dataset:
    """Insert a ready Dataset with one Sample per text (index = position) and its token arrays; commits.

    `keys` and `scores` default to `{split}/{class}/{i}` and None (real reviews pass their own)."""
    if not (len(texts) == len(labels) == len(splits)):
        raise ValueError("texts, labels and splits must have the same length")
    keys = keys if keys is not None else [f"{s}/{classes[y]}/{i}" for i, (s, y) in enumerate(zip(splits, labels,
                                                                                                strict=True))]
    scores = scores if scores is not None else [None] * len(texts)
    dataset = Dataset(project_id=project_id, name=name, source="tests", kind="test", status="importing",
                      classes=list(classes), config={"vocab_size": vocab_size, "max_length": max_length},
                      stats={}, num_samples=len(texts))
    session.add(dataset)
    session.flush()
    tokenizer = TextTokenizer.fit((t for t, s in zip(texts, splits, strict=True) if s == "train"),
                                  vocab_size=vocab_size, max_length=max_length)
    encoded = tokenizer.encode_batch(list(texts))
    counts = {"train": 0, "val": 0, "test": 0}
    for i, (text, label, split, enc) in enumerate(zip(texts, labels, splits, encoded, strict=True)):
        session.add(Sample(
            dataset_id=dataset.id, index=i, key=keys[i], split=split, label=label,
            text=text, score=scores[i], movie_id=None, word_count=len(text.split()), token_count=enc.token_count,
            oov_count=enc.oov_count, truncated=enc.truncated, meta={},
        ))
        counts[split] = counts.get(split, 0) + 1
    token_store.save_tokens(store, dataset.id, tokenizer, encoded)
    dataset.tokenizer_key = tokenizer_key(dataset.id)
    dataset.tokens_key = ids_key(dataset.id)
    dataset.stats = {"splits": counts, "vocab_size": tokenizer.vocab_size}
    dataset.status = "ready"
    session.commit()
    return dataset


def insert_synthetic_dataset(session: Session, store: ArtifactStore, project_id: int, n: int = 200,
                             seed: int = 0, **kwargs: object) -> Dataset:
    reviews = synthetic_reviews(n, seed=seed)
    return insert_dataset(session, store, project_id, reviews.texts, reviews.labels, reviews.splits,
                          **kwargs)  # type: ignore[arg-type]
