"""A trained-looking version built directly in the database and artifact store, without training.

Reads a few real reviews from the shared archive (streaming, stops early), fits the shared
tokenizer, stores samples and token arrays, and writes an epoch-1 checkpoint in the training
pipeline's format (`versions/{vid}/epoch_{e}/model.pt`, a dict with "model" and what builds it).
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass

import torch
from sqlalchemy.orm import Session, sessionmaker

from backend.architectures import CnnParams
from backend.artifacts import ArtifactStore
from backend.db.models import Checkpoint, Dataset, ModelVersion, Project, Sample
from backend.text.token_store import save_tokens
from backend.text.tokenizer import TextTokenizer
from worker.models.cnn import TextCNN

_REVIEW = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
SMALL_CNN = {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [3, 5], "dense_units": 8}


def read_reviews(archive: str, count: int) -> list[tuple[str, int, str]]:
    """The first `count` reviews in the archive: (key, label, text)."""
    out: list[tuple[str, int, str]] = []
    with tarfile.open(archive, "r:gz") as tf:
        for m in tf:
            hit = _REVIEW.match(m.name)
            if hit is None:
                continue
            f = tf.extractfile(m)
            assert f is not None
            key = m.name.removeprefix("aclImdb/").removesuffix(".txt")
            out.append((key, int(hit[2] == "pos"), f.read().decode()))
            if len(out) >= count:
                break
    return out


@dataclass(frozen=True)
class PreparedVersion:
    project_id: int
    dataset_id: int
    version_id: int
    sample_ids: list[int]
    texts: list[str]
    max_length: int


def prepare_version(factory: sessionmaker[Session], store: ArtifactStore, archive: str, count: int = 24,
                    max_length: int = 120, seed: int = 0) -> PreparedVersion:
    reviews = read_reviews(archive, count)
    texts = [t for _, _, t in reviews]
    tokenizer = TextTokenizer.fit(texts, vocab_size=2000, max_length=max_length)
    encoded = tokenizer.encode_batch(texts)
    torch.manual_seed(seed)
    model = TextCNN(tokenizer.vocab_size, 2, CnnParams(**SMALL_CNN))
    with factory() as s:
        project = Project(name=f"attrib-{seed}")
        s.add(project)
        s.flush()
        dataset = Dataset(project_id=project.id, name="imdb-few", status="ready", classes=["neg", "pos"],
                          num_samples=len(reviews), config={"max_length": max_length})
        s.add(dataset)
        s.flush()
        save_tokens(store, dataset.id, tokenizer, encoded)
        samples = [Sample(dataset_id=dataset.id, index=i, key=key, split=key.split("/")[0], label=label,
                          text=text, word_count=len(text.split()), token_count=e.token_count,
                          oov_count=e.oov_count, truncated=e.truncated)
                   for i, ((key, label, text), e) in enumerate(zip(reviews, encoded, strict=True))]
        s.add_all(samples)
        version = ModelVersion(project_id=project.id, dataset_id=dataset.id, name="cnn-v1",
                               architecture="cnn",
                               hyperparameters=CnnParams(**SMALL_CNN).model_dump(), status="trained",
                               epochs_done=1)
        s.add(version)
        s.flush()
        key = f"versions/{version.id}/epoch_1/model.pt"
        buf = io.BytesIO()
        torch.save({"format": 1, "version_id": version.id, "epoch": 1, "architecture": "cnn",
                    "hyperparameters": dict(version.hyperparameters), "vocab_size": tokenizer.vocab_size,
                    "num_classes": 2, "model": model.state_dict()}, buf)
        size = store.put_bytes(key, buf.getvalue())
        s.add(Checkpoint(version_id=version.id, epoch=1, key=key, size_bytes=size))
        s.commit()
        return PreparedVersion(project.id, dataset.id, version.id, [x.id for x in samples], texts, max_length)
