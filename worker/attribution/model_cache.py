"""Trained models and tokenizers for analyses, kept per (version, epoch) in a small LRU.

Loading a checkpoint costs far more than one attribution, and a user analyzing sample after
sample stays on one version and epoch, so the worker process keeps the last few loaded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from backend.core.artifacts import get_store
from backend.core.db.models import Dataset, ModelVersion
from backend.core.settings import get_settings
from backend.core.text.token_store import load_tokenizer
from backend.core.text.tokenizer import TextTokenizer
from worker.models.base import TextClassifier
from worker.pipeline import checkpoint

CACHE_SIZE = 4


@dataclass(frozen=True)
class LoadedModel:
    model: TextClassifier
    tokenizer: TextTokenizer
    classes: list[str]


class ModelCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int, epoch: int) -> LoadedModel:
        ckpt = checkpoint.checkpoint_for(session, version_id, epoch)
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
        model = checkpoint.load_model(session, version_id, epoch, store=store)
        # Attribution differentiates with respect to inputs only: weight gradients are wasted work.
        model.requires_grad_(False)
        classes = list(dataset.classes) or [str(c) for c in range(model.num_classes)]
        return LoadedModel(model, load_tokenizer(store, dataset.id), classes)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


models = ModelCache()
