"""Trained models and tokenizers for analyses, kept per (version, epoch) in a small LRU.

Loading a checkpoint costs far more than one attribution, and a user analyzing sample after
sample stays on one version and epoch, so the worker process keeps the last few loaded.
"""

from __future__ import annotations

import importlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.artifacts import ArtifactStore, get_store
from backend.db.models import Checkpoint, Dataset, ModelVersion
from backend.settings import get_settings
from backend.text.token_store import load_tokenizer
from backend.text.tokenizer import TextTokenizer
from worker.models.base import TextClassifier
from worker.models.registry import build_model

CACHE_SIZE = 4


@dataclass(frozen=True)
class LoadedModel:
    model: TextClassifier
    tokenizer: TextTokenizer
    classes: list[str]


def _checkpoint(session: Session, version_id: int, epoch: int) -> Checkpoint:
    row = session.scalars(select(Checkpoint).where(
        Checkpoint.version_id == version_id, Checkpoint.epoch == epoch)).first()
    if row is None:
        raise LookupError(f"version {version_id} has no checkpoint for epoch {epoch}")
    return row


def _read_checkpoint(session: Session, version_id: int, epoch: int, store: ArtifactStore) -> TextClassifier:
    """Fallback reader for the training pipeline's checkpoint format, until its loader is present."""
    row = _checkpoint(session, version_id, epoch)
    data = torch.load(io.BytesIO(store.get_bytes(row.key)), map_location="cpu", weights_only=True)
    if "model" in data:
        state = data["model"]
        model = build_model(data["architecture"], data["hyperparameters"], data["vocab_size"],
                            data["num_classes"])
    else:  # a bare state dict: the version row says what to build
        version = session.get(ModelVersion, version_id)
        assert version is not None
        state = data
        vocab, _ = state["embedding.weight"].shape
        model = build_model(version.architecture, version.hyperparameters, vocab,
                            state["out.weight"].shape[0])
    model.load_state_dict(state)
    return model


def _loader() -> Callable[..., TextClassifier] | None:
    # The training pipeline owns checkpoints; use its loader wherever it is installed.
    try:
        module = importlib.import_module("worker.pipeline.checkpoint")
    except ImportError:
        return None
    fn = getattr(module, "load_model", None)
    return fn if callable(fn) else None


def load_model(session: Session, version_id: int, epoch: int,
               store: ArtifactStore | None = None) -> TextClassifier:
    store = store or get_store()
    loader = _loader()
    if loader is not None:
        model = loader(session, version_id, epoch)
    else:
        model = _read_checkpoint(session, version_id, epoch, store)
    model.eval()
    # Attribution differentiates with respect to inputs only: weight gradients are wasted work.
    model.requires_grad_(False)
    return model


class ModelCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int, epoch: int) -> LoadedModel:
        ckpt = _checkpoint(session, version_id, epoch)
        # The database and the checkpoint row identify the weights: a re-trained epoch is a new entry.
        key = (get_settings().db_url, version_id, epoch, ckpt.id, ckpt.key, ckpt.size_bytes)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        loaded = self._load(session, version_id, epoch)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded

    def _load(self, session: Session, version_id: int, epoch: int) -> LoadedModel:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"version {version_id} not found")
        dataset = session.get(Dataset, version.dataset_id)
        assert dataset is not None
        store = get_store()
        model = load_model(session, version_id, epoch, store)
        classes = list(dataset.classes) or [str(c) for c in range(model.num_classes)]
        return LoadedModel(model, load_tokenizer(store, dataset.id), classes)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


models = ModelCache()
